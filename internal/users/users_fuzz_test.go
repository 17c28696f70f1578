package users_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/users"
)

// FuzzRequests decodes arbitrary bodies into the request types of the
// user endpoints and runs the service on a real store: every failure is a
// 4xx problem. kind selects POST /alias, /credentials/delete,
// /users/delete, GET /credentials/list and /alias/list (the body is then
// the query value).
func FuzzRequests(f *testing.F) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "users.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	app := store.App{ID: "app1", CreatedAt: time.Now()}
	if err := st.CreateApp(ctx, app, nil); err != nil {
		f.Fatal(err)
	}
	cred := store.Credential{AppID: "app1", ID: []byte{1, 2, 3, 4}, UserID: "u1", UserHandle: []byte("u1"), PublicKey: []byte{0xa0}, CreatedAt: time.Now(), LastUsedAt: time.Now()}
	if err := st.AddCredential(ctx, cred, []store.Alias{{Hash: users.HashAlias("app1", "taken@example.com")}}, nil); err != nil {
		f.Fatal(err)
	}
	svc := users.New(st)
	for _, s := range []struct {
		kind uint8
		body string
	}{
		{0, `{"userId":"u2","aliases":["a@example.com","b@example.com"],"hashing":false}`},
		{0, `{"userId":"u2","aliases":["taken@example.com"]}`},
		{0, `{"userId":1,"aliases":[null,"x",2,{"a":1}]}`},
		{0, `{"userId":"u2","aliases":[]}`},
		{1, `{"credentialId":"AQIDBA"}`},
		{1, `{"credentialId":"AQIDBA=="}`},
		{1, `{"credentialId":"+/+/"}`},
		{2, `{"userId":"nobody"}`},
		{2, `{"userId":null}`},
		{3, `u1`},
		{4, `u1`},
	} {
		f.Add(s.kind, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		var err error
		decode := func(v any) bool { return json.Unmarshal(data, v) == nil }
		switch kind % 5 {
		case 0:
			var req users.SetAliasesRequest
			if !decode(&req) {
				return
			}
			err = svc.SetAliases(ctx, app, req)
		case 1:
			var req users.DeleteCredentialRequest
			if !decode(&req) {
				return
			}
			err = svc.DeleteCredential(ctx, app, req)
			if err == nil {
				// Put the credential back for the next input.
				st.AddCredential(ctx, cred, nil, nil)
			}
		case 2:
			var req users.UserIDRequest
			if !decode(&req) || req.UserID == "u1" {
				return
			}
			err = svc.DeleteUser(ctx, app, req)
		case 3:
			_, err = svc.ListCredentials(ctx, app, string(data))
		case 4:
			_, err = svc.ListAliases(ctx, app, string(data))
		}
		wantClientError(t, kind, data, err)
	})
}

func wantClientError(t *testing.T, kind uint8, data []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status < 400 || p.Status > 499 {
		t.Fatalf("kind %d, input %q: %v, want a 4xx problem", kind, data, err)
	}
}
