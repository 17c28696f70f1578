package authconfig_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/sqlite"
)

// FuzzRequests decodes arbitrary bodies into the authentication
// configuration requests and runs the service on a real store: every
// failure is a 4xx problem, and whatever Add or Edit stored can be listed
// and resolved. kind selects add, edit, delete, list (body = purpose) and
// resolve (body = purpose).
func FuzzRequests(f *testing.F) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "authconfig.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateApp(ctx, store.App{ID: "app1", CreatedAt: time.Now()}, nil); err != nil {
		f.Fatal(err)
	}
	svc := authconfig.New(st, nil)
	for _, s := range []struct {
		kind uint8
		body string
	}{
		{0, `{"purpose":"step-up-2","userVerificationRequirement":"required","timeToLive":"00:05:00","hints":["security-key"],"performedBy":"a"}`},
		{0, `{"purpose":"p","timeToLive":300,"performedBy":"a"}`},
		{0, `{"purpose":"p","timeToLive":"1.02:03:04.5","performedBy":"a"}`},
		{1, `{"purpose":"sign-in","userVerificationRequirement":"Discouraged","timeToLive":"-00:00:01","hints":[],"performedBy":"a"}`},
		{1, `{"purpose":"step-up","timeToLive":"99999999.23:59:59","performedBy":"a"}`},
		{2, `{"purpose":"p","performedBy":"a"}`},
		{2, `{"purpose":"sign-in","performedBy":"a"}`},
		{3, `step-up`},
		{4, `sign-in`},
	} {
		f.Add(s.kind, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		var err error
		decode := func(v any) bool { return json.Unmarshal(data, v) == nil }
		switch kind % 5 {
		case 0, 1:
			var req authconfig.Request
			if !decode(&req) {
				return
			}
			if kind%5 == 0 {
				err = svc.Add(ctx, "app1", req)
			} else {
				err = svc.Edit(ctx, "app1", req)
			}
			if err == nil {
				if _, err := svc.List(ctx, "app1", nil); err != nil {
					t.Fatalf("list after storing %q: %v", data, err)
				}
				if _, err := svc.Resolve(ctx, "app1", string(req.Purpose)); err != nil {
					t.Fatalf("resolve after storing %q: %v", data, err)
				}
			}
		case 2:
			var req authconfig.DeleteRequest
			if !decode(&req) {
				return
			}
			err = svc.Delete(ctx, "app1", req)
		case 3:
			p := string(data)
			_, err = svc.List(ctx, "app1", &p)
		case 4:
			_, err = svc.Resolve(ctx, "app1", string(data))
		}
		if err != nil {
			var p *problem.Problem
			if !errors.As(err, &p) || p.Status < 400 || p.Status > 499 {
				t.Fatalf("kind %d, input %q: %v, want a 4xx problem", kind, data, err)
			}
		}
	})
}
