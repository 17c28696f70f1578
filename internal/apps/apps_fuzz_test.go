package apps_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/token"
)

// FuzzRequests decodes arbitrary bodies into the management and
// self-service request types and runs the service on a real store: every
// failure is a 4xx problem (or, for Authenticate, one of its two key
// errors). kind selects create, set features, self features, create
// public or secret key, mark-delete, and Authenticate with the body as the
// ApiKey or ApiSecret header value.
func FuzzRequests(f *testing.F) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "apps.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	svc := apps.New(st, token.NewSealer(st, nil), nil)
	created, err := svc.Create(ctx, "app1", apps.CreateRequest{AdminEmail: "a@example.com"})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct {
		kind uint8
		body string
	}{
		{0, `{"adminEmail":"a@example.com","eventLoggingIsEnabled":true,"eventLoggingRetentionPeriod":"30","magicLinkEmailMonthlyQuota":10,"maxUsers":null,"allowAttestation":true}`},
		{1, `{"eventLoggingIsEnabled":true,"eventLoggingRetentionPeriod":365,"magicLinkEmailMonthlyQuota":-1,"maxUsers":0,"allowedOrigins":["https://a.example","android:apk-key-hash:abc"],"allowedRpIds":["a.example"]}`},
		{1, `{"allowedOrigins":["not a url",""],"allowedRpIds":[""]}`},
		{2, `{"performedBy":"me","eventLoggingRetentionPeriod":7,"enableManuallyGeneratedAuthenticationTokens":true,"enableMagicLinks":false}`},
		{3, `{"scopes":[0,1]}`},
		{4, `{"scopes":[1,"0",7]}`},
		{5, `{"deletedBy":"me"}`},
		{6, created.APIKey1},
		{7, created.APISecret1},
		{6, "app1:public:"},
		{7, ":secret:abcd"},
	} {
		f.Add(s.kind, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		var err error
		decode := func(v any) bool { return json.Unmarshal(data, v) == nil }
		// A fresh app per input keeps inputs independent; ids are
		// lower-case letters and digits.
		appID := fmt.Sprintf("f%x", len(data)%4096)
		switch kind % 8 {
		case 0:
			var req apps.CreateRequest
			if !decode(&req) {
				return
			}
			_, err = svc.Create(ctx, "new"+appID, req)
			if err == nil {
				if _, err := svc.Features(ctx, "new"+appID); err != nil {
					t.Fatalf("features of a created app: %v", err)
				}
				st.DeleteApp(ctx, "new"+appID)
			}
		case 1:
			var req apps.SetFeaturesRequest
			if !decode(&req) {
				return
			}
			err = svc.SetFeatures(ctx, "app1", req)
			if err == nil {
				if _, err := svc.Features(ctx, "app1"); err != nil {
					t.Fatalf("features after setting %q: %v", data, err)
				}
			}
		case 2:
			var req apps.SelfFeaturesRequest
			if !decode(&req) {
				return
			}
			app, gerr := st.GetApp(ctx, "app1")
			if gerr != nil {
				t.Fatal(gerr)
			}
			err = svc.SetSelfFeatures(ctx, app, req)
		case 3, 4:
			var req apps.CreateKeyRequest
			if !decode(&req) {
				return
			}
			kindOfKey := store.KeyPublic
			if kind%8 == 4 {
				kindOfKey = store.KeySecret
			}
			var res map[string]string
			res, err = svc.CreateKey(ctx, "app1", kindOfKey, req)
			for _, v := range res {
				if strings.HasPrefix(v, "app1:") {
					st.DeleteAPIKey(ctx, "app1", v[len(v)-4:])
				}
			}
		case 5:
			var req apps.MarkDeleteRequest
			if !decode(&req) {
				return
			}
			// A young app without credentials is deleted at once, so
			// mark a throwaway one.
			id := "md" + appID
			if _, cerr := svc.Create(ctx, id, apps.CreateRequest{AdminEmail: "a@example.com"}); cerr != nil {
				t.Fatal(cerr)
			}
			_, err = svc.MarkDelete(ctx, id, req)
			st.DeleteApp(ctx, id)
		case 6, 7:
			kindOfKey := store.KeyPublic
			if kind%8 == 7 {
				kindOfKey = store.KeySecret
			}
			_, err = svc.Authenticate(ctx, kindOfKey, string(data))
			if errors.Is(err, apps.ErrInvalidKey) || errors.Is(err, apps.ErrLockedKey) {
				return
			}
			if err != nil {
				t.Fatalf("Authenticate(%q): %v", data, err)
			}
			return
		}
		if err != nil {
			var p *problem.Problem
			if !errors.As(err, &p) || p.Status < 400 || p.Status > 499 {
				t.Fatalf("kind %d, input %q: %v, want a 4xx problem", kind, data, err)
			}
		}
	})
}
