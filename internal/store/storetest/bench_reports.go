package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// reportsSeeded is the number of credentials BenchReports runs on.
const reportsSeeded = 200_000

// BenchReports times the queries of the hourly report snapshot
// (reports.Snapshot: CountUsers, CountCredentials and two CountActiveUsers
// per app) on an app with reportsSeeded credentials of two per user,
// written through ImportCredentials. "spread" has the credentials last
// used evenly over the past 90 days (about 1% used in the last day, 8% in
// the last week); "all-recent" has every one used an hour ago, the worst
// case for the active-user counts. analyze, if not nil, runs after
// seeding (PostgreSQL leaves that to autovacuum).
func BenchReports(b *testing.B, open func(b *testing.B) store.Store, analyze func(b *testing.B, s store.Store)) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, v := range []struct {
		name     string
		lastUsed func(i int) time.Time
	}{
		{"spread", func(i int) time.Time { return now.Add(-time.Duration(i%(90*24)) * time.Hour) }},
		{"all-recent", func(int) time.Time { return now.Add(-time.Hour) }},
	} {
		b.Run(v.name, func(b *testing.B) {
			s := open(b)
			seedReports(b, s, v.lastUsed)
			if analyze != nil {
				analyze(b, s)
			}
			for _, q := range []struct {
				name string
				run  func() error
			}{
				{"CountActiveUsersDay", func() error { _, err := s.CountActiveUsers(b.Context(), "reports", now.Add(-24*time.Hour)); return err }},
				{"CountActiveUsersWeek", func() error {
					_, err := s.CountActiveUsers(b.Context(), "reports", now.Add(-7*24*time.Hour))
					return err
				}},
				{"Snapshot", func() error { return snapshotQueries(b, s, now) }},
			} {
				b.Run(q.name, func(b *testing.B) {
					for b.Loop() {
						if err := q.run(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// snapshotQueries runs the reads of one app's report snapshot.
func snapshotQueries(b *testing.B, s store.Store, now time.Time) error {
	ctx := b.Context()
	if _, err := s.CountUsers(ctx, "reports"); err != nil {
		return err
	}
	if _, err := s.CountCredentials(ctx, "reports"); err != nil {
		return err
	}
	if _, err := s.CountActiveUsers(ctx, "reports", now.Add(-24*time.Hour)); err != nil {
		return err
	}
	_, err := s.CountActiveUsers(ctx, "reports", now.Add(-7*24*time.Hour))
	return err
}

func seedReports(b *testing.B, s store.Store, lastUsed func(i int) time.Time) {
	b.Helper()
	ctx := b.Context()
	if err := s.CreateApp(ctx, store.App{ID: "reports", AdminEmail: "a@example.com", CreatedAt: t0}, nil); err != nil {
		b.Fatal(err)
	}
	const batch = 5000
	creds := make([]store.Credential, 0, batch)
	for i := range reportsSeeded {
		u := fmt.Sprintf("user-%08d", i/2)
		creds = append(creds, store.Credential{AppID: "reports", ID: fmt.Appendf(nil, "credential-%012d-padding-to-32b", i),
			UserID: u, UserHandle: []byte(u), PublicKey: make([]byte, 77), AttestationFmt: "none", AAGUID: make([]byte, 16),
			CreatedAt: t0, LastUsedAt: lastUsed(i), RPID: "example.com", Origin: "https://example.com",
			Device: "Chrome, Linux", Nickname: "laptop", Transports: []string{"internal", "hybrid"}})
		if len(creds) == batch {
			if err := s.ImportCredentials(ctx, creds); err != nil {
				b.Fatal(err)
			}
			creds = creds[:0]
		}
	}
}
