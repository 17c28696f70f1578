package storeopen_test

import (
	"path/filepath"
	"testing"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/postgres"
	"github.com/passwordless-oss/server/internal/store/postgres/pgtest"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/store/storeopen"
)

// TestOpenPicksTheBackend: a PostgreSQL setting opens PostgreSQL, anything
// else a SQLite file, each ready for use (migrated).
func TestOpenPicksTheBackend(t *testing.T) {
	tests := []struct {
		name     string
		database func(t *testing.T) string
		want     func(store.Store) bool
	}{
		{"sqlite file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "open.db") },
			func(st store.Store) bool { _, ok := st.(*sqlite.Store); return ok }},
		{"postgres url", func(t *testing.T) string { return pgtest.Connect(t).CreateDB(t) },
			func(st store.Store) bool { _, ok := st.(*postgres.Store); return ok }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := storeopen.Open(t.Context(), tt.database(t), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if !tt.want(st) {
				t.Fatalf("Open returned a %T", st)
			}
			if _, err := st.ListAppIDs(t.Context()); err != nil {
				t.Fatalf("store not ready: %v", err)
			}
		})
	}
}

// TestOpenPassesSQLiteOptions: a write-ahead log bound below the minimum
// is refused, so the options reach the SQLite store.
func TestOpenPassesSQLiteOptions(t *testing.T) {
	_, err := storeopen.Open(t.Context(), filepath.Join(t.TempDir(), "open.db"), sqlite.Options{MaxWAL: 1})
	if err == nil {
		t.Fatal("Open accepted a write-ahead log bound of 1 byte")
	}
}
