package filewatch

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

var errMissing = errors.New("no file")

// TestWatcher walks one watcher through the life of a file: a good load,
// an unchanged file, a broken one (kept value, not retried until it
// changes), a removed one, and a good one again.
func TestWatcher(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.txt")
	loads := 0
	w := New(path, func(path string) (int, error) {
		loads++
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(string(b))
	}, Options[int]{Missing: errMissing}, nil)
	write := func(s string, mod time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().Add(-time.Hour)
	steps := []struct {
		name         string
		change       func()
		wantReloaded bool
		wantErr      func(error) bool
		wantValue    int
		wantLoads    int
	}{
		{"missing at start", func() {}, false, func(err error) bool { return errors.Is(err, errMissing) }, 0, 0},
		{"first file", func() { write("1", base) }, true, nil, 1, 1},
		{"unchanged", func() {}, false, nil, 1, 1},
		{"new content", func() { write("22", base.Add(time.Minute)) }, true, nil, 22, 2},
		{"broken file keeps the value", func() { write("x", base.Add(2*time.Minute)) }, false, func(err error) bool { return err != nil }, 22, 3},
		{"a broken file is not read again", func() {}, false, nil, 22, 3},
		{"removed file keeps the value", func() { os.Remove(path) }, false, func(err error) bool { return errors.Is(err, errMissing) }, 22, 3},
		{"good again", func() { write("3", base.Add(3*time.Minute)) }, true, nil, 3, 4},
	}
	for _, s := range steps {
		s.change()
		reloaded, err := w.Check()
		okErr := err == nil
		if s.wantErr != nil {
			okErr = s.wantErr(err)
		}
		v, _ := w.Current()
		if reloaded != s.wantReloaded || !okErr || v != s.wantValue || loads != s.wantLoads {
			t.Fatalf("%s: reloaded %v err %v value %d loads %d; want %v, value %d, loads %d",
				s.name, reloaded, err, v, loads, s.wantReloaded, s.wantValue, s.wantLoads)
		}
	}
}
