package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// holdCommitter occupies the committer with a job that waits for the
// returned release function, so that the jobs submitted meanwhile queue up.
// The batch bounds are raised so that the queued jobs join the held job's
// batch.
func holdCommitter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	s.w.maxJobs, s.w.maxAge = 1<<20, time.Hour
	started, rel := make(chan struct{}), make(chan struct{})
	go s.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		close(started)
		<-rel
		return nil
	})
	<-started
	var once sync.Once
	release = func() { once.Do(func() { close(rel) }) }
	t.Cleanup(release)
	return release
}

// waitQueued waits until n jobs wait in the committer's queue.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.w.queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs queued, want %d", len(s.w.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// submit runs fn in its own goroutine and returns a channel with its error.
func submit(fn func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- fn() }()
	return ch
}

func consumed(t *testing.T, s *Store, appID, id string) bool {
	t.Helper()
	var n int
	err := s.read.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM consumed WHERE app_id = ? AND id = ?`,
		appID, id).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestGroupCommitIsolatesJobs puts several jobs into one transaction: a
// later job sees the writes of earlier ones, a failing job leaves no trace,
// and the others commit.
func TestGroupCommitIsolatesJobs(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	commitsBefore := s.w.commits.Load()
	release := holdCommitter(t, s)

	first := submit(func() error { return s.ConsumeOnce(ctx, "app1", "a", exp) })
	waitQueued(t, s, 1)
	failing := submit(func() error {
		return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if err := s.consumeOnce(ctx, tx, "app1", "b", exp); err != nil {
				return err
			}
			return errors.New("refused")
		})
	})
	waitQueued(t, s, 2)
	again := submit(func() error { return s.ConsumeOnce(ctx, "app1", "a", exp) })
	waitQueued(t, s, 3)
	var sawB bool
	reader := submit(func() error {
		return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM consumed WHERE app_id = 'app1' AND id = 'b')`).Scan(&sawB)
		})
	})
	waitQueued(t, s, 4)
	release()

	if err := <-first; err != nil {
		t.Errorf("first consume: %v", err)
	}
	if err := <-failing; err == nil || err.Error() != "refused" {
		t.Errorf("failing job: %v, want its own error", err)
	}
	if err := <-again; !errors.Is(err, store.ErrAlreadyUsed) {
		t.Errorf("second consume of the same id in the batch: %v, want ErrAlreadyUsed", err)
	}
	if err := <-reader; err != nil {
		t.Fatal(err)
	}
	if sawB {
		t.Error("a later job saw the write of a failed job")
	}
	if !consumed(t, s, "app1", "a") || consumed(t, s, "app1", "b") {
		t.Errorf("consumed a = %v, b = %v; want true, false",
			consumed(t, s, "app1", "a"), consumed(t, s, "app1", "b"))
	}
	if got := s.w.commits.Load() - commitsBefore; got != 1 {
		t.Errorf("%d commits for one batch", got)
	}
}

// TestGroupCommitFailureFailsBatch makes COMMIT itself fail (a deferred
// foreign key left violated by one job): every job of the batch must get
// the error, none of their writes may stay, and the store must go on.
func TestGroupCommitFailureFailsBatch(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, q := range []string{
			`CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY)`,
			`CREATE TEMP TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	release := holdCommitter(t, s)
	ok := submit(func() error { return s.ConsumeOnce(ctx, "app1", "a", exp) })
	waitQueued(t, s, 1)
	breaker := submit(func() error {
		return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO child (parent_id) VALUES (42)`)
			return err
		})
	})
	waitQueued(t, s, 2)
	release()

	for name, ch := range map[string]<-chan error{"consume": ok, "breaker": breaker} {
		if err := <-ch; err == nil || !strings.Contains(err.Error(), "commit") {
			t.Errorf("%s: %v, want the commit error", name, err)
		}
	}
	if consumed(t, s, "app1", "a") {
		t.Error("a write of the failed batch is stored")
	}
	if err := s.ConsumeOnce(ctx, "app1", "a", exp); err != nil {
		t.Errorf("consume after the failed batch: %v", err)
	}
}

// TestGroupCommitSkipsCancelledJobs cancels a caller while its job waits
// in the queue: the caller returns at once and the job is not run.
func TestGroupCommitSkipsCancelledJobs(t *testing.T) {
	s := openTemp(t)
	exp := time.Now().Add(time.Hour)
	release := holdCommitter(t, s)

	ctx, cancel := context.WithCancel(t.Context())
	res := submit(func() error { return s.ConsumeOnce(ctx, "app1", "a", exp) })
	waitQueued(t, s, 1)
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled caller: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled caller still waiting")
	}
	after := submit(func() error { return s.ConsumeOnce(t.Context(), "app1", "b", exp) })
	waitQueued(t, s, 2)
	release()
	if err := <-after; err != nil {
		t.Fatal(err)
	}
	if consumed(t, s, "app1", "a") {
		t.Error("the job of a cancelled caller ran")
	}
}

// TestGroupCommitPanic re-raises a job's panic in its caller; the rest of
// its batch fails and the store goes on.
func TestGroupCommitPanic(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	release := holdCommitter(t, s)
	other := submit(func() error { return s.ConsumeOnce(ctx, "app1", "a", exp) })
	waitQueued(t, s, 1)
	panicked := submit(func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("recovered: %v", v)
			}
		}()
		return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error { panic("boom") })
	})
	waitQueued(t, s, 2)
	release()
	if err := <-panicked; err == nil || err.Error() != "recovered: boom" {
		t.Errorf("panicking job: %v, want its panic raised in the caller", err)
	}
	if err := <-other; err == nil {
		t.Error("a job of the aborted batch succeeded")
	}
	if consumed(t, s, "app1", "a") {
		t.Error("a write of the aborted batch is stored")
	}
	if err := s.ConsumeOnce(ctx, "app1", "a", exp); err != nil {
		t.Errorf("consume after the aborted batch: %v", err)
	}
}

// TestGroupCommitBatchesConcurrentWrites checks that concurrent writers
// share commits, and that every acknowledged write is stored.
func TestGroupCommitBatchesConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	const writers, each = 32, 20
	commitsBefore := s.w.commits.Load()
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.ConsumeOnce(ctx, "app1", fmt.Sprintf("%d-%d", w, i), exp); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	commits := s.w.commits.Load() - commitsBefore
	t.Logf("%d writes in %d commits", writers*each, commits)
	if commits >= writers*each {
		t.Errorf("%d writes took %d commits: no batching", writers*each, commits)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.ConsumeOnce(ctx, "app1", "late", exp); !errors.Is(err, errClosed) {
		t.Errorf("write after Close: %v, want errClosed", err)
	}

	s = openAt(t, path)
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM consumed`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != writers*each {
		t.Errorf("%d ids stored after reopen, want %d", n, writers*each)
	}
}

// TestCloseDrainsQueue closes the store while writes wait in the queue:
// Close runs them before it returns, and they are stored.
func TestCloseDrainsQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	release := holdCommitter(t, s)
	const n = 20
	results := make([]<-chan error, n)
	for i := range results {
		results[i] = submit(func() error { return s.ConsumeOnce(ctx, "app1", fmt.Sprint(i), exp) })
	}
	waitQueued(t, s, n)
	closed := submit(s.Close)
	time.Sleep(10 * time.Millisecond)
	release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	ok := map[string]bool{}
	for i, ch := range results {
		if err := <-ch; err != nil {
			t.Errorf("write %d queued before Close: %v", i, err)
			continue
		}
		ok[fmt.Sprint(i)] = true
	}
	s = openAt(t, path)
	for id := range ok {
		if !consumed(t, s, "app1", id) {
			t.Errorf("acknowledged write %s is missing after reopen", id)
		}
	}
}
