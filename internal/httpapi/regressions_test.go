package httpapi_test

// Regression tests for defects found by the bad-input matrix and the fuzz
// targets. Each names the exact input.

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
)

// Paths with dot segments or doubled slashes were answered by
// http.ServeMux's path cleaning: a 307 (or 301) redirect with an HTML or
// empty body instead of a problem document. Found by the matrix:
//
//	POST /register/begin/..  (valid ApiKey and body)  -> 307, Location /register, no body
//	GET  /users/list/..                               -> 307 text/html "<a href=\"/users\">Temporary Redirect</a>."
//
// On SQLite only: these paths are answered before any handler reaches the
// store.
func TestRegressionDotSegmentsArePathProblems(t *testing.T) {
	b := newBadInput(t)
	for _, tc := range []struct{ method, target string }{
		{"POST", "/register/begin/.."},
		{"GET", "/users/list/.."},
		{"GET", "/events/..?pageNumber=1"},
		{"POST", "/admin/apps/testapp/freeze/.."},
		{"GET", "/health/http/./"},
		{"GET", "//health/http"},
		{"POST", "/register//token"},
		{"GET", "/health/../users/list"},
	} {
		hdr := http.Header{"Apisecret": {b.main.APISecret1}, "Apikey": {b.main.APIKey1}, "Content-Type": {"application/json"}}
		rec, panicked, ok := b.serve(tc.method, tc.target, hdr, []byte(`{}`))
		if !ok || panicked != nil {
			t.Fatalf("%s %s: not served (panic %v)", tc.method, tc.target, panicked)
		}
		var doc map[string]any
		if rec.Code < 400 || rec.Code > 499 || rec.Header().Get("Content-Type") != "application/problem+json" ||
			json.Unmarshal(rec.Body.Bytes(), &doc) != nil || doc["status"] != float64(rec.Code) {
			t.Errorf("%s %s: %d %q %q (Location %q), want a 4xx problem document", tc.method, tc.target, rec.Code,
				rec.Header().Get("Content-Type"), rec.Body.String(), rec.Header().Get("Location"))
		}
	}
}

// A JSON null body on the feature endpoints decoded into the zero request
// and was applied: 204, and on the management route every feature of the
// app was overwritten with false/0. api-spec.md §3.1 lists 400 "No 'body'
// or 'parameters' were passed." for exactly this input. Found by the
// matrix:
//
//	POST /admin/apps/testapp/features  ManagementKey  Content-Type: application/json  body: null  -> 204, features reset
//	POST /apps/features                ApiSecret      Content-Type: application/json  body: null  -> 204
func TestRegressionNullFeaturesBodyIsRejected(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"eventLoggingIsEnabled":true,"eventLoggingRetentionPeriod":30,"magicLinkEmailMonthlyQuota":100}`).want(204)
		before := e.do("GET", "/admin/apps/"+e.appID+"/features", mgmt(), nil).want(200).json()

		// The original's own answer: an application error without a code.
		for _, r := range []*response{
			e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `null`),
			e.do("POST", "/apps/features", e.secret(), ` null `),
		} {
			doc := r.wantProblem(400, map[string]any{
				"title": "No 'body' or 'parameters' were passed.",
				"type":  "https://docs.passwordless.dev/guide/errors.html#",
			})
			if code, ok := doc["errorCode"]; !ok || code != nil {
				t.Errorf("errorCode = %#v (present: %v), want null", code, ok)
			}
		}
		// An empty body is still the binding problem of a missing body.
		e.do("POST", "/apps/features", e.secret(), ``).wantProblem(400, map[string]any{"title": "A request body is required."})

		after := e.do("GET", "/admin/apps/"+e.appID+"/features", mgmt(), nil).want(200).json()
		if !reflect.DeepEqual(before, after) {
			t.Errorf("features changed by a null body: %v -> %v", before, after)
		}
	})
}

// A completing request that fails after the session was consumed still
// wrote the consumed-session row: the rejection (400/409) leaves the
// database changed. passkey.Service.RegisterComplete consumes the session
// before AddCredential reports the conflict, and SigninComplete consumes
// it before RecordCredentialUse reports a counter regression. Found by
// FuzzCeremonyComplete:
//
//	POST /register/complete with a fresh session and a response whose
//	credential id is already registered in the app
//	-> 400 fido2_invalid_registration "CredentialId is not unique to this user",
//	   INSERT INTO consumed (app_id, id, expires_at)
//
// On SQLite only: that nothing was written is read from the change log of
// the SQLite file (newBadInput).
func TestRegressionRejectedCompletionWritesNothing(t *testing.T) {
	b := newBadInput(t)
	id := []byte("a credential id registered twice")

	first := b.registerBody(b.main, "dup-a", []softauthn.CreateOption{softauthn.WithCredentialID(id)})
	b.ok("POST", "/register/complete", b.pk(b.main.APIKey1), first)
	second := b.registerBody(b.main, "dup-b", []softauthn.CreateOption{softauthn.WithCredentialID(id)})
	status, _ := b.check(probe{name: "credential id already registered", method: "POST", target: "/register/complete",
		header: withJSON(b.pk(b.main.APIKey1)), body: jsonBody(second)})
	if status != 400 {
		t.Fatalf("status %d, want 400", status)
	}

	// The same for an alias taken between /register/token and
	// /register/complete: 409 alias_conflict.
	var rt struct{ Token string }
	mustDecode(t, b.ok("POST", "/register/token", b.sk(b.main.APISecret1), `{"userId":"al-a","username":"a","aliases":["race@example.com"]}`), &rt)
	var begin beginResponse
	mustDecode(t, b.ok("POST", "/register/begin", b.pk(b.main.APIKey1), clientBody(map[string]any{"token": rt.Token})), &begin)
	resp, _, err := softauthn.New().Create(begin.Data, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	b.ok("POST", "/alias", b.sk(b.main.APISecret1), `{"userId":"al-b","aliases":["race@example.com"]}`)
	status, _ = b.check(probe{name: "alias taken before completion", method: "POST", target: "/register/complete",
		header: withJSON(b.pk(b.main.APIKey1)), body: jsonBody(clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)}))})
	if status != 409 {
		t.Fatalf("status %d, want 409", status)
	}
}
