package token_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/token"
)

// FuzzOpenKinds opens arbitrary text as each token kind (register_,
// session_, verify_) for two apps. Every failure is a 400 problem, and a
// token opens only for the app and kind it was sealed for: the seeds are
// real tokens of every kind and app, opened under every other combination.
func FuzzOpenKinds(f *testing.F) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "kinds.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	s := token.NewSealer(st, nil)
	kinds := []token.Kind{token.Register, token.Session, token.Verify}
	apps := []string{"app1", "app2"}
	sealed := map[string]string{} // token -> "app/kind" it was sealed for
	for _, app := range apps {
		for _, k := range kinds {
			tok, err := s.Seal(ctx, app, k, payload{User: "x", N: 1})
			if err != nil {
				f.Fatal(err)
			}
			sealed[tok] = app + "/" + string(k)
			for i := range kinds {
				f.Add(uint8(i), uint8(0), tok)
				f.Add(uint8(i), uint8(1), tok)
			}
		}
	}
	f.Add(uint8(0), uint8(0), "REGISTER_")
	f.Add(uint8(1), uint8(0), "session_"+strings.Repeat("A", 4096))
	f.Fuzz(func(t *testing.T, kind, app uint8, tok string) {
		k, a := kinds[int(kind)%len(kinds)], apps[int(app)%len(apps)]
		var got payload
		in := tok
		err := s.Open(ctx, a, k, &in, &got)
		if err != nil {
			var p *problem.Problem
			if !errors.As(err, &p) || p.Status != 400 {
				t.Fatalf("Open(%s, %s, %q) = %v, want a 400 problem", a, k, tok, err)
			}
			return
		}
		if want, ok := sealed[tok]; ok && want != a+"/"+string(k) {
			t.Fatalf("a token sealed for %s opened as %s/%s", want, a, k)
		}
	})
}
