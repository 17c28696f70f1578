package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// TestFullDatabaseRefusesWritesAndRecovers fills a database capped by
// max_page_count: the write that does not fit is refused as store.ErrFull
// with nothing of it written, reads and earlier writes stay, Degraded
// says so, and once the cap is raised writes succeed again.
func TestFullDatabaseRefusesWritesAndRecovers(t *testing.T) {
	ctx := t.Context()
	st, err := OpenOptions(ctx, filepath.Join(t.TempDir(), "full.db"), Options{MaxPages: 80})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateApp(ctx, store.App{ID: "app1", AdminEmail: "a@example.com", CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Degraded(); err != nil {
		t.Fatalf("Degraded before any failure = %v", err)
	}
	expires := time.Now().Add(time.Hour)
	var acknowledged []string
	var fullErr error
	for i := range 100000 {
		id := fmt.Sprintf("%0500d", i)
		if err := st.ConsumeOnce(ctx, "app1", id, expires); err != nil {
			fullErr = err
			break
		}
		acknowledged = append(acknowledged, id)
	}
	if fullErr == nil {
		t.Fatal("the capped database never filled up")
	}
	if !errors.Is(fullErr, store.ErrFull) || !errors.Is(fullErr, store.ErrUnavailable) {
		t.Fatalf("write to a full database: %v; want store.ErrFull", fullErr)
	}
	if err := st.Degraded(); !errors.Is(err, store.ErrFull) {
		t.Fatalf("Degraded after a refused write = %v; want store.ErrFull", err)
	}
	if _, err := st.GetApp(ctx, "app1"); err != nil {
		t.Fatalf("read from a full database: %v", err)
	}
	// Every acknowledged write is there: consuming it again is refused.
	for _, id := range []string{acknowledged[0], acknowledged[len(acknowledged)-1]} {
		if err := st.ConsumeOnce(ctx, "app1", id, expires); !errors.Is(err, store.ErrAlreadyUsed) && !errors.Is(err, store.ErrFull) {
			t.Fatalf("acknowledged write %s…: %v; want already used", id[:8], err)
		}
	}

	// Space returns.
	if _, err := st.write.ExecContext(ctx, `PRAGMA max_page_count = 1000000`); err != nil {
		t.Fatal(err)
	}
	if err := st.ConsumeOnce(ctx, "app1", "after", expires); err != nil {
		t.Fatalf("write after space returned: %v", err)
	}
	if err := st.Degraded(); err != nil {
		t.Fatalf("Degraded after a successful write = %v", err)
	}
	for _, id := range []string{acknowledged[0], acknowledged[len(acknowledged)-1]} {
		if err := st.ConsumeOnce(ctx, "app1", id, expires); !errors.Is(err, store.ErrAlreadyUsed) {
			t.Fatalf("acknowledged write %s… after recovery: %v; want already used", id[:8], err)
		}
	}
}
