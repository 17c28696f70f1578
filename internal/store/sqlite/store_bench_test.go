package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/storetest"
)

// BenchmarkStore runs the store benchmarks on a fresh file. Run with:
// go test -run '^$' -bench Store ./internal/store/sqlite
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}

// BenchmarkReports times the report snapshot's queries on 200k
// credentials. Run with:
// go test -run '^$' -bench Reports -benchtime 20x ./internal/store/sqlite
func BenchmarkReports(b *testing.B) {
	storetest.BenchReports(b, func(b *testing.B) store.Store {
		s, err := Open(b.Context(), filepath.Join(b.TempDir(), "reports.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}, nil)
}

// BenchmarkUsers times the console's user pages and searches on 100k
// users (PASSWORDLESS_BENCH_USERS=1000000 for a million). Run with:
// go test -run '^$' -bench Users ./internal/store/sqlite
func BenchmarkUsers(b *testing.B) {
	storetest.BenchUsers(b, func(b *testing.B) store.Store {
		s, err := Open(b.Context(), filepath.Join(b.TempDir(), "users.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}, nil)
}
