package storetest

import (
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

func newConsoleSession(id, userID string, created time.Time) store.ConsoleSession {
	return store.ConsoleSession{
		ID: id, UserID: userID, CreatedAt: created, LastSeenAt: created, ExpiresAt: created.Add(time.Hour),
		UserAgent: "Firefox, Linux", Address: "192.0.2.7",
	}
}

func normConsoleSession(cs store.ConsoleSession) store.ConsoleSession {
	cs.CreatedAt, cs.LastSeenAt, cs.ExpiresAt = normTime(cs.CreatedAt), normTime(cs.LastSeenAt), normTime(cs.ExpiresAt)
	return cs
}

func wantConsoleSessions(t *testing.T, s store.Store, userID string, want ...store.ConsoleSession) {
	t.Helper()
	got, err := s.ListConsoleSessions(t.Context(), userID)
	must(t, err)
	wantEqual(t, "sessions of "+userID, normAll(got, normConsoleSession), normAll(want, normConsoleSession))
}

func wantConsoleSession(t *testing.T, s store.Store, want store.ConsoleSession) {
	t.Helper()
	got, err := s.GetConsoleSession(t.Context(), want.ID)
	must(t, err)
	wantEqual(t, "session", normConsoleSession(got), normConsoleSession(want))
}

var consoleSessionCases = []testCase{
	{"add and get", func(t *testing.T, s store.Store) {
		cs := newConsoleSession("s1", "admin-1", t0)
		must(t, s.AddConsoleSession(t.Context(), cs))
		wantConsoleSession(t, s, cs)
		_, err := s.GetConsoleSession(t.Context(), "s2")
		wantErr(t, err, store.ErrNotFound)
	}},
	{"a taken id is a conflict", func(t *testing.T, s store.Store) {
		cs := newConsoleSession("s1", "admin-1", t0)
		must(t, s.AddConsoleSession(t.Context(), cs))
		other := newConsoleSession("s1", "admin-2", at(time.Minute))
		wantErr(t, s.AddConsoleSession(t.Context(), other), store.ErrConflict)
		wantConsoleSession(t, s, cs)
	}},
	{"touch", func(t *testing.T, s store.Store) {
		cs := newConsoleSession("s1", "admin-1", t0)
		must(t, s.AddConsoleSession(t.Context(), cs))
		must(t, s.TouchConsoleSession(t.Context(), "s1", at(time.Minute), at(2*time.Hour)))
		cs.LastSeenAt, cs.ExpiresAt = at(time.Minute), at(2*time.Hour)
		wantConsoleSession(t, s, cs)
		wantErr(t, s.TouchConsoleSession(t.Context(), "s2", at(time.Minute), at(2*time.Hour)), store.ErrNotFound)
	}},
	{"list newest first, per user", func(t *testing.T, s store.Store) {
		a := newConsoleSession("s-a", "admin-1", t0)
		b := newConsoleSession("s-b", "admin-1", at(time.Minute))
		c := newConsoleSession("s-c", "admin-1", at(time.Minute))
		other := newConsoleSession("s-o", "admin-2", at(time.Hour))
		for _, cs := range []store.ConsoleSession{a, b, c, other} {
			must(t, s.AddConsoleSession(t.Context(), cs))
		}
		wantConsoleSessions(t, s, "admin-1", c, b, a)
		wantConsoleSessions(t, s, "admin-2", other)
		wantConsoleSessions(t, s, "admin-3")
	}},
	{"delete one, only the user's own", func(t *testing.T, s store.Store) {
		a := newConsoleSession("s-a", "admin-1", t0)
		b := newConsoleSession("s-b", "admin-2", t0)
		must(t, s.AddConsoleSession(t.Context(), a))
		must(t, s.AddConsoleSession(t.Context(), b))
		wantErr(t, s.DeleteConsoleSession(t.Context(), "admin-1", "s-b"), store.ErrNotFound)
		wantConsoleSession(t, s, b)
		must(t, s.DeleteConsoleSession(t.Context(), "admin-1", "s-a"))
		_, err := s.GetConsoleSession(t.Context(), "s-a")
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.DeleteConsoleSession(t.Context(), "admin-1", "s-a"), store.ErrNotFound)
		wantErr(t, s.TouchConsoleSession(t.Context(), "s-a", at(time.Minute), at(time.Hour)), store.ErrNotFound)
	}},
	{"delete all of a user", func(t *testing.T, s store.Store) {
		keep := newConsoleSession("s-k", "admin-2", t0)
		for _, cs := range []store.ConsoleSession{newConsoleSession("s-a", "admin-1", t0), newConsoleSession("s-b", "admin-1", t0), keep} {
			must(t, s.AddConsoleSession(t.Context(), cs))
		}
		must(t, s.DeleteConsoleSessions(t.Context(), "admin-1"))
		wantConsoleSessions(t, s, "admin-1")
		wantConsoleSessions(t, s, "admin-2", keep)
		must(t, s.DeleteConsoleSessions(t.Context(), "nobody"))
	}},
	{"purge expired", func(t *testing.T, s store.Store) {
		old := newConsoleSession("s-old", "admin-1", t0)
		edge := newConsoleSession("s-edge", "admin-1", at(time.Minute))
		fresh := newConsoleSession("s-new", "admin-1", at(time.Hour))
		for _, cs := range []store.ConsoleSession{old, edge, fresh} {
			must(t, s.AddConsoleSession(t.Context(), cs))
		}
		// Expiring exactly at t is not before t.
		must(t, s.PurgeConsoleSessionsBefore(t.Context(), edge.ExpiresAt))
		wantConsoleSessions(t, s, "admin-1", fresh, edge)
	}},
}
