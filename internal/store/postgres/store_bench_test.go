package postgres

import (
	"testing"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/storetest"
)

// BenchmarkStore runs the store benchmarks on a fresh database. Run with:
// go test -run '^$' -bench Store ./internal/store/postgres (PASSWORDLESS_TEST_POSTGRES)
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		return openStore(b, testServer(b).CreateDB(b))
	})
}
