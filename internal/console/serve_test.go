package console

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

// TestServeAnswersErrors: the one adapter turns each kind of returned
// error into its answer, and a cause reaches the log but not the page.
func TestServeAnswersErrors(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		var logs bytes.Buffer
		e.console.log = slog.New(slog.NewTextHandler(&logs, nil))
		tests := []struct {
			name     string
			err      error
			status   int
			location string
			shown    string
			logged   string // in the log, never on the page; "" for nothing
		}{
			{"user error", fail(http.StatusConflict, "Shown to the administrator."), http.StatusConflict, "", "Shown to the administrator.", ""},
			{"cause kept apart", failCause(http.StatusBadRequest, "Try again.", errors.New("internal cause 7f3a")),
				http.StatusBadRequest, "", "Try again.", "internal cause 7f3a"},
			{"redirect", seeOther(Prefix + "/apps"), http.StatusSeeOther, Prefix + "/apps", "", ""},
			{"service problem", problem.New(http.StatusNotFound, "no_thing", "No such thing."), http.StatusNotFound, "", "No such thing.", ""},
			{"unexpected error", errors.New("internal failure 9c2b"), http.StatusInternalServerError, "",
				"Something went wrong on the server", "internal failure 9c2b"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				logs.Reset()
				rec := httptest.NewRecorder()
				e.console.serve(func(http.ResponseWriter, *http.Request) error { return tt.err })(rec, httptest.NewRequest("GET", Prefix+"/x", nil))
				if rec.Code != tt.status {
					t.Fatalf("status %d, want %d", rec.Code, tt.status)
				}
				if got := rec.Header().Get("Location"); got != tt.location {
					t.Errorf("Location %q, want %q", got, tt.location)
				}
				body := rec.Body.String()
				if !strings.Contains(body, tt.shown) {
					t.Errorf("page does not show %q:\n%s", tt.shown, body)
				}
				if tt.logged != "" {
					if strings.Contains(body, tt.logged) {
						t.Errorf("page shows the cause %q", tt.logged)
					}
					if !strings.Contains(logs.String(), tt.logged) {
						t.Errorf("log lacks the cause %q: %s", tt.logged, logs.String())
					}
				}
			})
		}
	})
}
