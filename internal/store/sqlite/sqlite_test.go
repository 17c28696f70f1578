package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/storetest"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "store.db"))
}

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "odd ?#% name.db")
	created := time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.FixedZone("CET", 3600))

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	app := store.App{ID: "app1", AdminEmail: "a@example.com", CreatedAt: created}
	if err := s.CreateApp(ctx, app, nil); err != nil {
		t.Fatal(err)
	}
	before := migrationRows(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not at its literal path: %v", err)
	}

	s = openAt(t, path)
	got, err := s.GetApp(ctx, "app1")
	if err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	if !got.CreatedAt.Equal(created) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", got.CreatedAt, created)
	}
	if after := migrationRows(t, s); after != before {
		t.Errorf("schema_migrations changed on reopen: %q, want %q", after, before)
	}
	if err := migrate(ctx, s.write); err != nil {
		t.Errorf("migrate again: %v", err)
	}
	if after := migrationRows(t, s); after != before {
		t.Errorf("schema_migrations changed by second migrate: %q, want %q", after, before)
	}
}

// migrationRows renders schema_migrations, applied_at included, so any
// re-application shows.
func migrationRows(t *testing.T, s *Store) string {
	t.Helper()
	rows, err := s.read.QueryContext(t.Context(), `SELECT version, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var version, appliedAt int64
		if err := rows.Scan(&version, &appliedAt); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d@%d;", version, appliedAt)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if b.Len() == 0 {
		t.Fatal("no migrations recorded")
	}
	return b.String()
}

// TestUpgradeFromInitialSchema opens a file that only has migration 1 and
// an app in it; the later migrations must keep the app and give it empty
// origin and RP ID lists.
func TestUpgradeFromInitialSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := openWritePool(ctx, path, Options{MaxWAL: DefaultMaxWAL})
	if err != nil {
		t.Fatal(err)
	}
	list, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 2 || list[0].Version != 1 {
		t.Fatalf("migrations = %d, want 1 and later ones", len(list))
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (
		version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if err := applyMigration(ctx, db, list[0]); err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO apps (id, admin_email, created_at,
		event_logging_enabled, event_logging_retention_days, magic_link_monthly_quota,
		allow_attestation, generate_sign_in_token_enabled, magic_links_enabled)
		VALUES ('app1', 'a@example.com', 0, 1, 30, 100, 0, 1, 1)`)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openAt(t, path)
	app, err := s.GetApp(ctx, "app1")
	if err != nil {
		t.Fatalf("after upgrade: %v", err)
	}
	want := store.Features{EventLoggingEnabled: true, EventLoggingRetentionDays: 30,
		MagicLinkMonthlyQuota: 100, GenerateSignInTokenEnabled: true, MagicLinksEnabled: true}
	if !reflect.DeepEqual(app.Features, want) {
		t.Errorf("features = %+v, want %+v", app.Features, want)
	}
	if got, want := migrationCount(t, s), len(list); got != want {
		t.Errorf("%d migrations recorded, want %d", got, want)
	}
	if err := s.DeleteApp(ctx, "app1"); err != nil {
		t.Errorf("DeleteApp after upgrade: %v", err)
	}
}

func migrationCount(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.read.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPragmas(t *testing.T) {
	s := openTemp(t)
	want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "busy_timeout": "5000"}
	pools := map[string]*sql.DB{"write": s.write, "read": s.read}
	for pragma, v := range want {
		for name, db := range pools {
			var got string
			if err := db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s pool: PRAGMA %s: %v", name, pragma, err)
			}
			if got != v {
				t.Errorf("%s pool: %s = %q, want %q", name, pragma, got, v)
			}
		}
	}
}

// TestConcurrentLoad runs writers and readers in parallel; with one write
// connection and IMMEDIATE transactions none of them may see SQLITE_BUSY.
func TestConcurrentLoad(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	const apps, workers, rounds = 4, 16, 30
	for i := range apps {
		if err := s.CreateApp(ctx, store.App{ID: appName(i), CreatedAt: time.Now()}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				if err := loadStep(ctx, s, appName(w%apps), w, r); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d workers failed, first: %v", len(errs), errs[0])
	}
	for i := range apps {
		n, err := s.CountUsers(ctx, appName(i))
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(workers / apps * rounds); n != want {
			t.Errorf("users of %s = %d, want %d", appName(i), n, want)
		}
	}
}

func appName(i int) string { return fmt.Sprintf("app%d", i) }

// loadStep mixes single-statement writes, transactions and reads.
func loadStep(ctx context.Context, s *Store, appID string, worker, round int) error {
	user := fmt.Sprintf("user-%d-%d", worker, round)
	cred := store.Credential{
		AppID: appID, ID: []byte(user), UserID: user, UserHandle: []byte(user),
		PublicKey: []byte{1}, CreatedAt: time.Now(), LastUsedAt: time.Now(),
	}
	aliases := []store.Alias{{Hash: "h-" + user}}
	if err := s.AddCredential(ctx, cred, aliases, nil); err != nil {
		return err
	}
	use := store.CredentialUse{SignCount: uint32(round + 1), LastUsedAt: time.Now()}
	if err := s.RecordCredentialUse(ctx, appID, cred.ID, use, nil); err != nil {
		return err
	}
	err := s.ConsumeOnce(ctx, appID, fmt.Sprintf("session-%d", round), time.Now().Add(time.Hour))
	if err != nil && !errors.Is(err, store.ErrAlreadyUsed) {
		return err
	}
	if _, err := s.ListCredentials(ctx, appID, user); err != nil {
		return err
	}
	if _, err := s.AliasOwner(ctx, appID, "h-"+user); err != nil {
		return err
	}
	if _, err := s.CountUsers(ctx, appID); err != nil {
		return err
	}
	if err := s.ReplaceAliases(ctx, appID, user, append(aliases, store.Alias{Hash: "h2-" + user})); err != nil {
		return err
	}
	if _, _, err := s.ListEvents(ctx, appID, 0, 10); err != nil {
		return err
	}
	_, err = s.HitRateLimit(ctx, appID, time.Unix(0, 0), time.Now().Add(time.Hour))
	return err
}

func TestReadPoolRejectsWrites(t *testing.T) {
	s := openTemp(t)
	_, err := s.read.ExecContext(t.Context(), `DELETE FROM apps`)
	if err == nil {
		t.Fatal("write through the read pool succeeded")
	}
}

// TestSharedFile runs the cross-instance rules on two Stores over one
// file, as two processes sharing it would have: BEGIN IMMEDIATE makes each
// check-and-write one step.
func TestSharedFile(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "store.db")
		return openAt(t, path), openAt(t, path)
	})
}
