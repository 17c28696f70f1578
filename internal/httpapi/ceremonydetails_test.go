package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/softauthn"
)

// TestRegistrationEventNamesTheAuthenticator checks the audit event of a
// completed registration: it names the authenticator's AAGUID when the
// authenticator reports one, and nothing when it reports zeros.
func TestRegistrationEventNamesTheAuthenticator(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"eventLoggingIsEnabled":true,"eventLoggingRetentionPeriod":7}`).want(204)
		named := softauthn.New()
		id := uuid.MustParse("0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6")
		named.AAGUID = id
		e.register(named, map[string]any{"userId": "named", "username": "n"})
		e.register(softauthn.New(), map[string]any{"userId": "anonymous", "username": "a"})

		var page struct{ Events []map[string]any }
		e.do("GET", "/events?pageNumber=1&numberOfResults=1000", e.secret(), nil).want(200).decode(&page)
		messages := map[string]string{}
		for _, ev := range page.Events {
			if ev["eventType"] == "ApiAuthPasskeyRegistrationCompleted" {
				messages[ev["performedBy"].(string)] = ev["message"].(string)
			}
		}
		if m := messages["named"]; !strings.HasSuffix(m, " with authenticator "+id.String()) {
			t.Errorf("event of the named authenticator: %q", m)
		}
		if m := messages["anonymous"]; m == "" || strings.Contains(m, "with authenticator") {
			t.Errorf("event of an authenticator without AAGUID: %q", m)
		}
	})
}

// TestTransportsStored registers with a response that lists transports
// and finds them in the user's credential descriptor.
func TestTransportsStored(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		regToken := e.token("/register/token", e.secret(), map[string]any{"userId": "u1", "username": "one"})
		var begin beginResponse
		e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": regToken})).want(200).decode(&begin)
		resp, _, err := softauthn.New().Create(begin.Data, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(resp, &m); err != nil {
			t.Fatal(err)
		}
		m["response"].(map[string]any)["transports"] = []string{"internal", "hybrid"}
		e.token("/register/complete", e.public(), clientBody(map[string]any{"session": begin.Session, "response": m}))

		var creds struct {
			Values []struct {
				Descriptor struct{ Transports []string }
			}
		}
		e.do("POST", "/credentials/list", e.secret(), map[string]any{"userId": "u1"}).want(200).decode(&creds)
		if len(creds.Values) != 1 || strings.Join(creds.Values[0].Descriptor.Transports, ",") != "internal,hybrid" {
			t.Fatalf("credentials = %+v", creds.Values)
		}
	})
}

// TestSigninBeginUserIDOverAlias begins a sign-in with the user id of one
// user and the alias of another: the user id decides whose passkeys are
// allowed.
func TestSigninBeginUserIDOverAlias(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		_, alice := e.register(softauthn.New(), map[string]any{"userId": "alice", "username": "a"})
		e.register(softauthn.New(), map[string]any{"userId": "bob", "username": "b", "aliases": []string{"bob@example.com"}})
		var begin beginResponse
		e.do("POST", "/signin/begin", e.public(), clientBody(map[string]any{"userId": "alice", "alias": "bob@example.com"})).want(200).decode(&begin)
		var opts struct {
			AllowCredentials []struct{ ID string }
		}
		if err := json.Unmarshal(begin.Data, &opts); err != nil {
			t.Fatal(err)
		}
		if len(opts.AllowCredentials) != 1 || opts.AllowCredentials[0].ID != base64.RawURLEncoding.EncodeToString(alice.ID) {
			t.Fatalf("allowCredentials = %+v, want alice's passkey", opts.AllowCredentials)
		}
	})
}

// TestGenerateTokenTTLEdges accepts the smallest and largest lifetimes of
// a generated sign-in token (1 s and 7 days).
func TestGenerateTokenTTLEdges(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		for _, ttl := range []int{1, 604800} {
			e.do("POST", "/signin/generate-token", e.secret(), map[string]any{"userId": "u1", "timeToLive": ttl}).want(200)
		}
	})
}
