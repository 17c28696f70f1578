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

// BenchmarkReports times the report snapshot's queries on 200k
// credentials, after an ANALYZE as autovacuum would run. Run with:
// go test -run '^$' -bench Reports -benchtime 20x ./internal/store/postgres
func BenchmarkReports(b *testing.B) {
	storetest.BenchReports(b, func(b *testing.B) store.Store {
		return openStore(b, testServer(b).CreateDB(b))
	}, func(b *testing.B, s store.Store) {
		if _, err := s.(*Store).pool.Exec(b.Context(), `VACUUM ANALYZE credentials`); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkUsers times the console's user pages and searches on 100k
// users (PASSWORDLESS_BENCH_USERS=1000000 for a million), after an ANALYZE
// as autovacuum would run. Run with:
// go test -run '^$' -bench Users ./internal/store/postgres
func BenchmarkUsers(b *testing.B) {
	storetest.BenchUsers(b, func(b *testing.B) store.Store {
		return openStore(b, testServer(b).CreateDB(b))
	}, func(b *testing.B, s store.Store) {
		if _, err := s.(*Store).pool.Exec(b.Context(), `VACUUM ANALYZE credentials, aliases`); err != nil {
			b.Fatal(err)
		}
	})
}
