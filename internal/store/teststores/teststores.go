// Package teststores opens fresh stores for the tests of the packages built
// on the store, so that behaviour that depends on the store runs on both.
package teststores

import (
	"path/filepath"
	"testing"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/postgres"
	"github.com/passwordless-oss/server/internal/store/postgres/pgtest"
	"github.com/passwordless-oss/server/internal/store/sqlite"
)

// SQLite opens a store on a new file in t's temporary directory.
func SQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Postgres opens a store on a new database of the test server; package
// pgtest decides whether t is skipped when there is none.
func Postgres(t testing.TB) store.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), pgtest.Connect(t).CreateDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Both names the openers of every store, for table-driven tests.
var Both = map[string]func(testing.TB) store.Store{"sqlite": SQLite, "postgres": Postgres}
