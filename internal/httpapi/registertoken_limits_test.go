package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
)

// TestMaxUsersAtTheLimit sets an app's user limit to one: the user who
// holds it may still be given register tokens (for a second passkey), a
// new user may not, and raising the limit lets the new user in.
func TestMaxUsersAtTheLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"maxUsers":1}`).want(204)
		// An app with no user yet is under the limit.
		e.register(softauthn.New(), map[string]any{"userId": "u1", "username": "one"})
		e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u1", "username": "one"}).want(200)
		e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u2", "username": "two"}).
			wantProblem(400, map[string]any{"errorCode": "max_users_reached"})
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"maxUsers":2}`).want(204)
		e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u2", "username": "two"}).want(200)
	})
}

// TestRegisterTokenHintsLimit accepts up to three hints and refuses more.
func TestRegisterTokenHintsLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		three := []string{"security-key", "client-device", "hybrid"}
		e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u1", "username": "one", "hints": three}).want(200)
		e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u1", "username": "one", "hints": append(three, "hybrid")}).
			wantProblem(400, nil)
	})
}

// TestNicknameLimit completes registrations with nicknames of 64 and 65
// characters (counted as characters, not bytes).
func TestNicknameLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		complete := func(nickname string) *response {
			regToken := e.token("/register/token", e.secret(), map[string]any{"userId": "u1", "username": "one"})
			var begin beginResponse
			e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": regToken})).want(200).decode(&begin)
			resp, _, err := softauthn.New().Create(begin.Data, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			return e.do("POST", "/register/complete", e.public(), clientBody(map[string]any{
				"session": begin.Session, "response": json.RawMessage(resp), "nickname": nickname,
			}))
		}
		complete(strings.Repeat("é", 65)).wantProblem(400, nil)
		complete(strings.Repeat("é", 64)).want(200)
	})
}
