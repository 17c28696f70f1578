package systemtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/base64"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sqlitedriver "modernc.org/sqlite"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/sqlite"
)

// syncMode, when set, is applied with PRAGMA synchronous to every SQLite
// connection this test process opens, after the store's own pragmas. It
// lets the benchmark run the production store code with another
// durability setting; the server binary is a separate process and is not
// affected.
var (
	syncMode     atomic.Value // string
	syncHookOnce sync.Once
)

func setSyncMode(mode string) {
	syncHookOnce.Do(func() {
		sqlitedriver.RegisterConnectionHook(func(conn sqlitedriver.ExecQuerierContext, _ string) error {
			mode, _ := syncMode.Load().(string)
			if mode == "" {
				return nil
			}
			ctx := context.Background()
			if _, err := conn.ExecContext(ctx, "PRAGMA synchronous="+mode, nil); err != nil {
				return err
			}
			rows, err := conn.QueryContext(ctx, "PRAGMA synchronous", nil)
			if err != nil {
				return err
			}
			defer rows.Close()
			v := make([]driver.Value, 1)
			if err := rows.Next(v); err != nil && err != io.EOF {
				return err
			}
			want := map[string]int64{"OFF": 0, "NORMAL": 1, "FULL": 2, "EXTRA": 3}[mode]
			if got, _ := v[0].(int64); got != want {
				return fmt.Errorf("PRAGMA synchronous is %v after setting %s", v[0], mode)
			}
			return nil
		})
	})
	syncMode.Store(mode)
}

// BenchmarkRegistrationWrites measures the database writes of one
// registration (the session's single-use record, then the credential and
// an alias in one transaction, as /register/complete does) through the
// production SQLite store, with synchronous=FULL (the server's setting)
// and NORMAL, from 8 concurrent goroutines like the HTTP load.
func BenchmarkRegistrationWrites(b *testing.B) {
	for _, mode := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+mode, func(b *testing.B) {
			setSyncMode(mode)
			defer setSyncMode("")
			ctx := context.Background()
			st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			const appID = "benchapp"
			if err := st.CreateApp(ctx, store.App{ID: appID, AdminEmail: "admin@example.com", CreatedAt: time.Now().UTC()}, nil); err != nil {
				b.Fatal(err)
			}
			pub := make([]byte, 77) // the size of an ES256 COSE key
			rand.Read(pub)
			var n atomic.Int64
			b.SetParallelism(max(1, 8/max(1, runtime.GOMAXPROCS(0))))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					now := time.Now().UTC()
					if err := st.ConsumeOnce(ctx, appID, uuid.NewString(), now.Add(5*time.Minute)); err != nil {
						b.Error(err)
						return
					}
					id := make([]byte, 16)
					rand.Read(id)
					user := fmt.Sprintf("user-%d", i)
					h := sha256.Sum256([]byte(appID + user + "@example.com"))
					cred := store.Credential{
						AppID: appID, ID: id, UserID: user, UserHandle: []byte(user), PublicKey: pub,
						AttestationFmt: "none", AAGUID: make([]byte, 16), CreatedAt: now, LastUsedAt: now,
						RPID: testRPID, Origin: testOrigin, Device: "Other", Nickname: "laptop",
					}
					if err := st.AddCredential(ctx, cred, []store.Alias{{Hash: base64.StdEncoding.EncodeToString(h[:])}}, nil); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
		})
	}
}

// BenchmarkBinaryRegistrations measures complete registrations per second
// (register/token, register/begin, register/complete over loopback HTTP)
// against the server binary, 8 clients at a time. The binary runs with
// synchronous=FULL.
func BenchmarkBinaryRegistrations(b *testing.B) {
	s := newServer(b, map[string]string{"PASSWORDLESS_PUBLIC_RATE_LIMIT": "0"})
	s.start()
	a := s.createApp("benchapp")
	c := ceremony{s: s, app: a}
	const workers = 8
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range workers {
		auth := softauthn.New()
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				uid := fmt.Sprintf("w%d-%d", w, i)
				if _, err := c.register(context.Background(), auth, map[string]any{"userId": uid, "username": uid}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "registrations/s")
}
