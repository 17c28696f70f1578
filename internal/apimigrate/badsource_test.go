package apimigrate_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/apimigrate"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

func fake(h http.HandlerFunc) *server {
	srv := httptest.NewServer(h)
	return &server{url: srv.URL, http: srv.Client()}
}

func TestBadSources(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		closed := httptest.NewServer(http.NotFoundHandler())
		closed.Close()
		jsonAnswer := func(body string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				fmt.Fprint(w, body)
			}
		}
		f := newFixture(t, nil)
		cases := []struct {
			name   string
			server *server
			secret string
			want   []string
		}{
			{"wrong secret", f.src.s, appID + ":secret:00000000000000000000000000000000", []string{"GET /users/list", "HTTP 401", "refused the API secret"}},
			{"an HTML page", fake(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				fmt.Fprint(w, "<html>sign in</html>")
			}), "", []string{"GET /users/list", "answered text/html, not JSON"}},
			{"garbage", fake(jsonAnswer("{{{")), "", []string{"GET /users/list", "not the expected JSON"}},
			{"another shape", fake(jsonAnswer(`{"items":[]}`)), "", []string{"GET /users/list", `no "values" list`}},
			{"a user without id", fake(jsonAnswer(`{"values":[{"aliasCount":0}]}`)), "", []string{"GET /users/list", "entry 0 has no userId"}},
			{"not found", fake(http.NotFoundHandler().ServeHTTP), "", []string{"GET /users/list", "HTTP 404", "API's address"}},
			{"a redirect", fake(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://elsewhere.example/users/list", http.StatusFound)
			}), "", []string{"GET /users/list", "redirected to https://elsewhere.example/users/list"}},
			{"nothing at all", &server{url: closed.URL, http: http.DefaultClient}, "", []string{"GET /users/list", "the source did not answer (4 tries)"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				src := &app{t: t, s: c.server, id: appID, secret: c.secret}
				if src.secret == "" {
					src.secret = f.src.secret
				}
				target := open(t)
				_, out, _, err := runImport(t.Context(), t, src, target, nil)
				var re *apimigrate.RequestError
				if !errors.As(err, &re) {
					t.Fatalf("err %v, want a RequestError", err)
				}
				contains(t, "error", err.Error(), c.want...)
				if strings.Contains(err.Error()+out, strings.TrimPrefix(f.src.secret, appID+":secret:")) {
					t.Error("the secret shows in the error or output")
				}
				if _, err := target.GetApp(t.Context(), appID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("the app was created (%v)", err)
				}
			})
		}
	})
}

// A source that answers garbage part way leaves the app unfinished and
// locked, never as if complete.
func TestBadAnswerPartWay(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		f := newFixture(t, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/credentials/list" && r.URL.Query().Get("userId") == "u2" {
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprint(w, `{"values":[{"descriptor":{"type":"public-key","id":"AQID"},"publicKey":"AAAA","userId":"u2",`+
						`"signatureCounter":0,"createdAt":"2024-01-01T00:00:00","lastUsedAt":"2024-01-01T00:00:00"}]}`)
					return
				}
				h.ServeHTTP(w, r)
			})
		})
		target := newServer(t, open(t), nil)
		sum, out, _, err := runImport(t.Context(), t, f.src, target.store, func(o *apimigrate.Options) { o.Concurrency = 1 })
		if !errors.Is(err, apimigrate.ErrUnfinished) || sum.Complete {
			t.Fatalf("err %v, want ErrUnfinished", err)
		}
		contains(t, "error", err.Error(), "GET /credentials/list?userId=u2", "not a COSE key", "run the same command again")
		tgt := imported(t, target, appID, out)
		if status, _ := tgt.public2("/signin/begin", map[string]any{"userId": "u1"}, nil); status != 401 {
			t.Errorf("sign-in on the unfinished app: %d, want 401 (locked key)", status)
		}
		keys, _ := target.store.ListAPIKeys(t.Context(), appID)
		for _, k := range keys {
			if !k.Locked {
				t.Errorf("key %s of the unfinished app is not locked", k.ID)
			}
		}
	})
}

// The original returns at most 1,000 users without paging.
func TestUserListCut(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		f := newFixture(t, nil)
		ctx := t.Context()
		src := f.src.s.store
		model, err := src.ListCredentials(ctx, appID, "u3")
		if err != nil || len(model) == 0 {
			t.Fatal(err)
		}
		var more []store.Credential
		ids := []string{"u1", "u2", "u3", "u4"}
		for i := range 1000 {
			c := model[0]
			c.ID = fmt.Appendf(nil, "bulk-%d", i)
			c.UserID = fmt.Sprintf("bulk%04d", i)
			c.UserHandle = []byte(c.UserID)
			more = append(more, c)
			ids = append(ids, c.UserID)
		}
		if err := src.ImportCredentials(ctx, more); err != nil {
			t.Fatal(err)
		}

		target := open(t)
		_, _, _, err = runImport(ctx, t, f.src, target, nil)
		if !errors.Is(err, apimigrate.ErrListCut) {
			t.Fatalf("without a users file: %v, want ErrListCut", err)
		}
		contains(t, "error", err.Error(), "returned 1000 users", "--users-file")
		if _, err := target.GetApp(ctx, appID); !errors.Is(err, store.ErrNotFound) {
			t.Error("the app was created although the list may be cut")
		}

		sum, _, _, err := runImport(ctx, t, f.src, target, func(o *apimigrate.Options) {
			o.UserIDs = append(ids, "ghost", "u1")
			o.Concurrency = 8
			o.ProgressInterval = time.Hour
		})
		if err != nil || !sum.Complete {
			t.Fatalf("with the user ids: %v", err)
		}
		if sum.Users != 1005 || sum.Credentials != 1004 || len(sum.NotFound) != 1 || sum.NotFound[0] != "ghost" {
			t.Errorf("summary: %d users, %d credentials, not found %v", sum.Users, sum.Credentials, sum.NotFound)
		}
		if n, _ := target.CountCredentials(ctx, appID); n != 1004 {
			t.Errorf("%d credentials on the target, want 1004", n)
		}
	})
}
