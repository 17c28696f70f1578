package httpapi_test

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/mail/mailtest"
	"github.com/passwordless-oss/server/internal/users"
)

// TestUserIDLimit: every private endpoint that stores a user id accepts
// 64 bytes and answers a longer one with a 400 validation problem keyed
// userId, on both stores. A 3000-byte id used to be a 500 on PostgreSQL
// (its index entry was too large) and was stored on SQLite.
func TestUserIDLimit(t *testing.T) {
	endpoints := []struct {
		path string
		body func(userID string) map[string]any
	}{
		{"/alias", func(id string) map[string]any {
			return map[string]any{"userId": id, "aliases": []string{"a-" + id[:8]}}
		}},
		{"/magic-links/send", func(id string) map[string]any {
			return map[string]any{"userId": id, "emailAddress": "admin@example.com", "urlTemplate": "https://example.com/?t=$TOKEN"}
		}},
		{"/register/token", func(id string) map[string]any {
			return map[string]any{"userId": id, "username": "alice"}
		}},
	}
	okStatus := map[string]int{"/alias": 204, "/magic-links/send": 204, "/register/token": 200}
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on, withMagicLinks(t, mailtest.NewServer(t), magiclink.Config{}))
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"magicLinkEmailMonthlyQuota":100}`).want(204)
		for _, ep := range endpoints {
			// 65 bytes in 33 characters: the limit counts bytes. The
			// longer ones are random, so PostgreSQL cannot compress
			// them into its index.
			for _, id := range []string{strings.Repeat("é", 32) + "x", randomID(1025), randomID(3000)} {
				n := len(id)
				m := e.do("POST", ep.path, e.secret(), ep.body(id)).wantProblem(400, nil)
				errs, _ := m["errors"].(map[string]any)
				if got, _ := errs["userId"].([]any); len(got) != 1 || got[0] != users.UserIDTooLong {
					t.Errorf("%s with a %d-byte userId: errors = %v, want userId: %q", ep.path, n, m["errors"], users.UserIDTooLong)
				}
			}
			e.do("POST", ep.path, e.secret(), ep.body(strings.Repeat("u", 64))).want(okStatus[ep.path])
		}
		aliases := e.do("GET", "/alias/list?userId="+strings.Repeat("x", 65), e.secret(), nil).want(200).json()["values"].([]any)
		if len(aliases) != 0 {
			t.Errorf("aliases stored for a refused user id: %v", aliases)
		}
	})
}

func randomID(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}
