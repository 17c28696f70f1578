package httpapi_test

import (
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
)

// TestMaxUsersAtTheLimit sets an app's user limit to one: the user who
// holds it may still be given register tokens (for a second passkey), a
// new user may not, and raising the limit lets the new user in.
func TestMaxUsersAtTheLimit(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"maxUsers":1}`).want(204)
	// An app with no user yet is under the limit.
	e.register(softauthn.New(), map[string]any{"userId": "u1", "username": "one"})
	e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u1", "username": "one"}).want(200)
	e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u2", "username": "two"}).
		wantProblem(400, map[string]any{"errorCode": "max_users_reached"})
	e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"maxUsers":2}`).want(204)
	e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u2", "username": "two"}).want(200)
}

// TestRegisterTokenHintsLimit accepts up to three hints and refuses more.
func TestRegisterTokenHintsLimit(t *testing.T) {
	e := newEnv(t)
	three := []string{"security-key", "client-device", "hybrid"}
	e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u1", "username": "one", "hints": three}).want(200)
	e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u1", "username": "one", "hints": append(three, "hybrid")}).
		wantProblem(400, nil)
}
