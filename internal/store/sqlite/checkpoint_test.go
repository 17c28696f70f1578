package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
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

// TestWALStaysBoundedUnderSustainedWrites writes without pause while
// readers keep reading, the load under which PASSIVE checkpoints alone let
// the log grow without end, and samples the log file: it must stay under
// its bound however much has been written through it.
func TestWALStaysBoundedUnderSustainedWrites(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "bounded.db")
	const maxWAL = minMaxWAL
	st, err := OpenOptions(ctx, path, Options{MaxWAL: maxWAL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateApp(ctx, store.App{ID: "app1", AdminEmail: "a@example.com", CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}

	// Enough traffic through the log to fill the bound many times over,
	// with a deadline so a slow disk cannot hang the test.
	const throughput = 8 * maxWAL
	deadline := time.Now().Add(20 * time.Second)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	errs := make(chan error, 16)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d-%064d", w, i, i)
				if err := st.ConsumeOnce(ctx, "app1", id, time.Now().Add(time.Hour)); err != nil {
					errs <- err
					return
				}
				writes.Add(1)
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := st.GetApp(ctx, "app1"); err != nil {
					errs <- err
					return
				}
			}
		})
	}

	var largest int64
	for {
		largest = max(largest, fileSize(path+"-wal"))
		s := st.WALStats()
		if s.FramesCopied*st.cp.pageSize >= throughput && s.Restarts >= 4 {
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := st.WALStats()
	t.Logf("%d writes, %d MiB through the log, %d restarts (%d deferred), largest log %d KiB, writes held %v (longest %v)",
		writes.Load(), s.FramesCopied*st.cp.pageSize>>20, s.Restarts, s.RestartBusy, largest>>10, s.HeldWrites, s.MaxHeldWrite)
	if got := s.FramesCopied * st.cp.pageSize; got < throughput {
		t.Fatalf("only %d bytes went through the log in 20 s, want at least %d to test the bound", got, throughput)
	}
	if s.Restarts == 0 {
		t.Fatal("the log was never restarted")
	}
	if largest > maxWAL {
		t.Fatalf("the log reached %d bytes, over its bound of %d", largest, maxWAL)
	}
}
