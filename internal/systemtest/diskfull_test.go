package systemtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
)

// smallFS mounts a tmpfs of the given size (e.g. "2m") on a fresh
// directory and returns the directory and a function that changes its
// size. It needs root; without it the test is skipped, except under
// CI=true, where the machine is expected to allow it.
func smallFS(t *testing.T, size string) (dir string, resize func(size string)) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot mount a small tmpfs (needs root): %v %s", err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir, func(size string) {
		t.Helper()
		if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
			t.Fatalf("resize tmpfs: %v %s", err, out)
		}
	}
}

// TestFullDiskIsServiceUnavailable runs the binary on a database in a
// filesystem too small for it: once the disk is full, writes are answered
// 503 storage_full with Retry-After (never 500), reads keep working, the
// storage health check reports the degraded state, and when space returns
// the server writes again by itself with every acknowledged registration
// intact.
func TestFullDiskIsServiceUnavailable(t *testing.T) {
	dir, resize := smallFS(t, "1m")
	s := newServer(t, nil)
	s.db = filepath.Join(dir, "passwordless.db")
	s.env["PASSWORDLESS_DATABASE"] = s.db
	var mu sync.Mutex
	var fiveHundreds []string
	s.onResponse = func(method, path string, r *response) {
		if r.status >= 500 && r.status != 503 {
			mu.Lock()
			fiveHundreds = append(fiveHundreds, fmt.Sprintf("%s %s: %s", method, path, r))
			mu.Unlock()
		}
	}
	s.start()
	defer s.terminate()
	c := ceremony{s: s, app: s.createApp("diskfull")}
	ctx := context.Background()

	var done []registration
	var refused *response
	for i := 0; i < 5000 && refused == nil; i++ {
		reg, err := c.register(ctx, softauthn.New(), map[string]any{"userId": fmt.Sprintf("user-%d", i), "username": fmt.Sprintf("user%d@example.com", i)})
		var se *statusError
		switch {
		case err == nil:
			done = append(done, reg)
		case errors.As(err, &se) && se.got.status == 503:
			refused = se.got
		default:
			t.Fatalf("registration %d: %v", i, err)
		}
	}
	if refused == nil {
		t.Fatal("5000 registrations fit in a 1 MiB filesystem; the test did not fill the disk")
	}
	if len(done) == 0 {
		t.Fatal("no registration fit before the disk was full")
	}
	if code := problemCode(refused); code != "storage_full" || refused.header.Get("Retry-After") == "" {
		t.Fatalf("write to a full disk answered %s (Retry-After %q); want 503 storage_full with Retry-After", refused, refused.header.Get("Retry-After"))
	}
	t.Logf("%d registrations before the disk was full", len(done))

	// Reads keep working, and the health check says writes are refused.
	if _, err := c.credentialIDs(ctx, done[0].userID); err != nil {
		t.Fatalf("read from a full disk: %v", err)
	}
	health := s.must(200, "GET", "/health/storage", nil, nil)
	if !strings.Contains(string(health.body), `"Degraded"`) {
		t.Fatalf("/health/storage on a full disk: %s; want a Degraded report", health)
	}

	// Space returns: the next writes succeed without a restart.
	resize("64m")
	if _, err := c.register(ctx, softauthn.New(), map[string]any{"userId": "after", "username": "after@example.com"}); err != nil {
		t.Fatalf("registration after space returned: %v", err)
	}
	health = s.must(200, "GET", "/health/storage", nil, nil)
	if !strings.Contains(string(health.body), `"Healthy"`) {
		t.Fatalf("/health/storage after space returned: %s; want Healthy", health)
	}
	// Nothing acknowledged was lost: every registered passkey signs in.
	for _, reg := range done {
		verify, _, err := c.signin(ctx, reg.auth, map[string]any{"userId": reg.userID})
		if err != nil {
			t.Fatalf("sign-in of %s after recovery: %v", reg.userID, err)
		}
		if _, err := c.verifyOK(ctx, verify); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(fiveHundreds) > 0 {
		t.Fatalf("answers in the 5xx range other than 503:\n%s", strings.Join(fiveHundreds, "\n"))
	}
}
