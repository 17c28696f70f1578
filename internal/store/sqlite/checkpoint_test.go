package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// TestCheckpointsOffTheCommitPath: commits never checkpoint (the write
// connection has wal_autocheckpoint 0), and the background checkpointer
// copies the log into the database file soon after the writes.
func TestCheckpointsOffTheCommitPath(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "cp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var auto int
	if err := st.write.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("write connection wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	if err := st.CreateApp(ctx, store.App{ID: "app1", AdminEmail: "a@example.com", CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if err := st.ConsumeOnce(ctx, "app1", fmt.Sprintf("once-%d", i), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for st.cp.copied.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no background checkpoint copied the log within 10 s")
		}
		time.Sleep(checkpointEvery / 5)
	}
}
