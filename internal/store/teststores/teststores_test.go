package teststores

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { Main(m) }

// TestPostgresReusesEmptiedDatabases: tests one after the other get one
// database, and each finds it as empty as a new one.
func TestPostgresReusesEmptiedDatabases(t *testing.T) {
	pgtest.Connect(t) // skips t without a server
	before := len(reuse.all)
	for i := range 3 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			st := Postgres(t)
			expires := time.Now().Add(time.Hour)
			if err := st.ConsumeOnce(t.Context(), "app", "once", expires); err != nil {
				t.Fatalf("first use of an id in a fresh database: %v", err)
			}
			if err := st.ConsumeOnce(t.Context(), "app", "once", expires); !errors.Is(err, store.ErrAlreadyUsed) {
				t.Fatalf("second use: %v, want %v", err, store.ErrAlreadyUsed)
			}
		})
	}
	if made := len(reuse.all) - before; made != 1 {
		t.Errorf("%d databases made for three tests one after the other, want 1", made)
	}
}
