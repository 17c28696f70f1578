package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	apiURL     = regexp.MustCompile(`msg=listening addr=(\S+)`)
	metricsURL = regexp.MustCompile(`msg="metrics listening" url=(http://\S+)/metrics`)
)

// startServe runs `serve` with args on free ports until the test ends and
// returns the API's and the metrics listener's base URLs.
func startServe(t *testing.T, args ...string) (api, metrics string) {
	t.Helper()
	dir := t.TempDir()
	args = append([]string{"--dev", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0",
		"--database", filepath.Join(dir, "p.db"), "--mail-dir", filepath.Join(dir, "mail")}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, args, func(string) string { return "" }, io.Discard, logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		a, m := apiURL.FindStringSubmatch(logs.String()), metricsURL.FindStringSubmatch(logs.String())
		if a != nil && m != nil {
			return "http://" + a[1], m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, logs)
		default:
		}
	}
	t.Fatalf("the server did not start:\n%s", logs)
	return "", ""
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestMetricsListener: the metrics listener serves /metrics with the
// requests the API and the console answered, the store's operations and
// pools; the API listener does not; the profiles need --pprof.
func TestMetricsListener(t *testing.T) {
	api, metrics := startServe(t)
	httpGet(t, api+"/health/storage")
	httpGet(t, api+"/console/login")
	if code, _ := httpGet(t, api+"/metrics"); code != http.StatusNotFound {
		t.Errorf("API listener: GET /metrics = %d, want 404", code)
	}
	code, body := httpGet(t, metrics+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", code)
	}
	for _, want := range []string{
		`passwordless_build_info{goversion="go`,
		`passwordless_http_requests_total{code="200",method="get",route="/health/storage"} 1`,
		`passwordless_http_requests_total{code="404",method="get",route="unmatched"} 1`,
		`route="/console"`,
		`passwordless_store_operation_duration_seconds_count{operation="GetApp"}`,
		`passwordless_db_pool_connections{pool="read",state="idle"}`,
		"passwordless_store_sqlite_wal_bytes ",
		"passwordless_store_sqlite_wal_restarts_total ",
		"passwordless_store_sqlite_full 0",
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := httpGet(t, metrics+"/debug/pprof/cmdline"); code != http.StatusNotFound {
		t.Errorf("without --pprof: GET /debug/pprof/cmdline = %d, want 404", code)
	}

	_, metrics = startServe(t, "--pprof")
	if code, _ := httpGet(t, metrics+"/debug/pprof/cmdline"); code != http.StatusOK {
		t.Errorf("with --pprof: GET /debug/pprof/cmdline = %d, want 200", code)
	}
}
