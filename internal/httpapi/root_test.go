package httpapi_test

import (
	"strings"
	"testing"
)

// TestRootAnswersOnlyGet checks that GET / answers with the plain-text
// notice while any other method on / is the 404 problem of unknown paths.
func TestRootAnswersOnlyGet(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		r := e.do("GET", "/", nil, nil).want(200)
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || !strings.Contains(string(r.body), "Passwordless.dev-compatible") {
			t.Fatalf("GET /: %s %q", r.header.Get("Content-Type"), r.body)
		}
		for _, m := range []string{"POST", "PUT", "DELETE"} {
			e.do(m, "/", nil, nil).wantProblem(404, nil)
		}
	})
}
