package postgres

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

// TestReportQueryPlan checks with EXPLAIN that the report snapshot's
// active-user count reads the credentials_last_used index instead of
// every credential of the app, before the table has statistics (this
// store never runs ANALYZE itself) and after.
func TestReportQueryPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 50k credentials")
	}
	ctx := t.Context()
	s := openStore(t, testServer(t).CreateDB(t))
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := s.CreateApp(ctx, store.App{ID: "app1", CreatedAt: now}, nil); err != nil {
		t.Fatal(err)
	}
	// Used evenly over 90 days: a day's range is about 1% of the app.
	const n = 50_000
	creds := make([]store.Credential, n)
	for i := range creds {
		u := fmt.Sprintf("user-%d", i/2)
		creds[i] = store.Credential{AppID: "app1", ID: fmt.Appendf(nil, "credential-%08d", i), UserID: u,
			UserHandle: []byte(u), PublicKey: []byte{1}, CreatedAt: now,
			LastUsedAt: now.Add(-time.Duration(i%(90*24)) * time.Hour)}
	}
	if err := s.ImportCredentials(ctx, creds); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct{ name, before string }{{"without statistics", ""}, {"after ANALYZE", "ANALYZE credentials"}} {
		if step.before != "" {
			if _, err := s.pool.Exec(ctx, step.before); err != nil {
				t.Fatal(err)
			}
		}
		plan := explain(t, s, countActiveUsersQuery, "app1", now.Add(-24*time.Hour))
		if !strings.Contains(plan, "credentials_last_used") || strings.Contains(plan, "Seq Scan") {
			t.Errorf("%s: CountActiveUsers plan does not use credentials_last_used:\n%s", step.name, plan)
		}
	}
}

func explain(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), "EXPLAIN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
