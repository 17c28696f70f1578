package httpapi_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/mds/mdstest"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/users"
)

func TestAliases(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		set := func(body string) *response { return e.do("POST", "/alias", e.secret(), body) }
		list := func(userID string) []any {
			return e.do("GET", "/alias/list?userid="+userID, e.secret(), nil).want(200).json()["values"].([]any)
		}

		set(`{"userId":"u1","aliases":["a@x","b@x","a@x"],"hashing":false}`).want(204)
		got := list("u1")
		if len(got) != 2 {
			t.Fatalf("aliases = %v", got)
		}
		first := got[0].(map[string]any)
		if first["tenant"] != e.appID || first["userId"] != "u1" || first["plaintext"] == nil {
			t.Fatalf("alias entry = %v", first)
		}
		wantHashes := []string{users.HashAlias(e.appID, "a@x"), users.HashAlias(e.appID, "b@x")}
		for _, a := range got {
			if !slices.Contains(wantHashes, a.(map[string]any)["alias"].(string)) {
				t.Fatalf("alias %v is not a known hash", a)
			}
		}

		// Another user cannot take a@x, and nothing changes for either user.
		set(`{"userId":"u2","aliases":["a@x","c@x"]}`).wantProblem(409, map[string]any{"errorCode": "alias_conflict"})
		if n := len(list("u2")); n != 0 {
			t.Fatalf("u2 has %d aliases after a refused write", n)
		}
		if n := len(list("u1")); n != 2 {
			t.Fatalf("u1 has %d aliases after another user's refused write", n)
		}

		// Hashed aliases keep no plaintext; the set is replaced, not merged.
		set(`{"userId":"u1","aliases":["c@x"]}`).want(204)
		got = list("u1")
		if len(got) != 1 || got[0].(map[string]any)["plaintext"] != nil {
			t.Fatalf("after replace: %v", got)
		}
		// The alias now resolves at sign-in.
		a := softauthn.New()
		e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		begin := e.do("POST", "/signin/begin", e.public(), clientBody(map[string]any{"alias": "c@x"})).want(200).json()
		if n := len(begin["data"].(map[string]any)["allowCredentials"].([]any)); n != 1 {
			t.Fatalf("allowCredentials for alias = %d entries, want 1", n)
		}
		begin = e.do("POST", "/signin/begin", e.public(), clientBody(map[string]any{"alias": "unknown@x"})).want(200).json()
		if n := len(begin["data"].(map[string]any)["allowCredentials"].([]any)); n != 0 {
			t.Fatalf("allowCredentials for unknown alias = %d entries, want 0", n)
		}
		// An empty list clears.
		set(`{"userId":"u1","aliases":[]}`).want(204)
		if n := len(list("u1")); n != 0 {
			t.Fatalf("aliases after clearing: %d", n)
		}

		for name, body := range map[string]string{
			"null aliases":    `{"userId":"u1","aliases":null}`,
			"missing userId":  `{"aliases":["x"]}`,
			"eleven aliases":  `{"userId":"u1","aliases":["1","2","3","4","5","6","7","8","9","10","11"]}`,
			"too long":        `{"userId":"u1","aliases":["` + strings.Repeat("x", 251) + `"]}`,
			"whitespace item": `{"userId":"u1","aliases":["  "]}`,
		} {
			if m := set(body).wantProblem(400, nil); m["errors"] == nil {
				t.Errorf("%s: no validation errors in %v", name, m)
			}
		}
		e.do("GET", "/alias/list", e.secret(), nil).wantProblem(400, map[string]any{"title": `Required parameter "string userId" was not provided from query string.`})
		e.do("GET", "/alias/list?userId=", e.secret(), nil).wantProblem(400, map[string]any{"title": "UserId is empty", "errorCode": nil})
	})
}

func TestAliasesFromRegisterTokenReplaceOnComplete(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		e.do("POST", "/alias", e.secret(), `{"userId":"u1","aliases":["old"]}`).want(204)
		e.register(softauthn.New(), map[string]any{"userId": "u1", "username": "alice", "aliases": []string{"new1", "new2"}, "aliasHashing": false})
		got := e.do("GET", "/alias/list?UserId=u1", e.secret(), nil).want(200).json()["values"].([]any)
		var plain []string
		for _, a := range got {
			plain = append(plain, a.(map[string]any)["plaintext"].(string))
		}
		slices.Sort(plain)
		if !slices.Equal(plain, []string{"new1", "new2"}) {
			t.Fatalf("aliases after registration = %v", plain)
		}
	})
}

func TestCredentialsAndUsers(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		_, cred := e.register(a, map[string]any{"userId": "u1", "username": "alice", "aliases": []string{"alice"}, "aliasHashing": false})
		e.register(softauthn.New(), map[string]any{"userId": "u2", "username": "bob"})
		e.do("POST", "/alias", e.secret(), `{"userId":"u3","aliases":["only-alias"]}`).want(204)

		list := e.do("GET", "/credentials/list?userid=u1", e.secret(), nil).want(200).json()["values"].([]any)
		if len(list) != 1 {
			t.Fatalf("credentials = %v", list)
		}
		c := list[0].(map[string]any)
		desc := c["descriptor"].(map[string]any)
		if desc["id"] != base64.RawURLEncoding.EncodeToString(cred.ID) || desc["type"] != "public-key" {
			t.Fatalf("descriptor = %v", desc)
		}
		if c["userHandle"] != base64.StdEncoding.EncodeToString([]byte("u1")) || c["rpid"] != testRPID || c["origin"] != testOrigin ||
			c["nickname"] != "laptop" || c["isDiscoverable"] != true || c["userId"] != "u1" || c["attestationFmt"] != "none" {
			t.Fatalf("credential = %v", c)
		}
		if _, err := base64.StdEncoding.DecodeString(c["publicKey"].(string)); err != nil {
			t.Fatalf("publicKey not standard base64: %v", err)
		}
		if strings.HasSuffix(c["createdAt"].(string), "Z") {
			t.Fatalf("createdAt %v should carry no zone", c["createdAt"])
		}
		post := e.do("POST", "/credentials/list", e.secret(), `{"userId":"u1"}`).want(200).json()["values"].([]any)
		if len(post) != 1 {
			t.Fatalf("POST credentials/list = %v", post)
		}
		e.do("GET", "/credentials/list", e.secret(), nil).wantProblem(400, map[string]any{"title": `Required parameter "string UserId" was not provided from query string.`})
		e.do("POST", "/credentials/list", e.secret(), `{"userId":null}`).wantProblem(400, map[string]any{"title": "One or more validation errors occurred."})

		count := e.do("GET", "/users/count", e.secret(), nil).want(200).json()
		if count["count"] != float64(2) {
			t.Fatalf("users/count = %v", count)
		}
		usersList := e.do("GET", "/users/list", e.secret(), nil).want(200).json()["values"].([]any)
		if len(usersList) != 3 {
			t.Fatalf("users/list = %v", usersList)
		}
		byID := map[string]map[string]any{}
		for _, u := range usersList {
			m := u.(map[string]any)
			byID[m["userId"].(string)] = m
		}
		if u := byID["u1"]; u["credentialsCount"] != float64(1) || u["aliasCount"] != float64(1) || u["aliases"].([]any)[0] != "alice" || u["lastUsedAt"] == nil {
			t.Fatalf("u1 = %v", u)
		}
		if u := byID["u3"]; u["credentialsCount"] != float64(0) || u["lastUsedAt"] != nil || u["aliases"].([]any)[0] != nil {
			t.Fatalf("u3 (alias only, hashed) = %v", u)
		}

		// Delete the credential: signing in with it is now unknown_credential.
		body := e.signinBody(a, map[string]any{})
		id := base64.RawURLEncoding.EncodeToString(cred.ID)
		e.do("POST", "/credentials/delete", e.secret(), map[string]any{"credentialId": id}).want(204)
		e.do("POST", "/signin/complete", e.public(), body).wantProblem(400, map[string]any{"errorCode": "unknown_credential", "credentialId": id})
		// Deleting again (or any unknown id) is idempotent.
		e.do("POST", "/credentials/delete", e.secret(), map[string]any{"credentialId": id}).want(204)
		e.do("POST", "/credentials/delete", e.secret(), `{"credentialId":""}`).wantProblem(400, map[string]any{"title": "credentialId must not be null or empty"})
		e.do("POST", "/credentials/delete", e.secret(), `{"credentialId":"ab+/cd=="}`).wantProblem(400, nil)

		// Deleting a user removes credentials and aliases.
		e.do("POST", "/users/delete", e.secret(), `{"userId":"u3"}`).want(200)
		e.do("POST", "/users/delete", e.secret(), `{"userId":"u2"}`).want(200)
		if n := len(e.do("GET", "/credentials/list?userId=u2", e.secret(), nil).want(200).json()["values"].([]any)); n != 0 {
			t.Fatalf("u2 still has %d credentials", n)
		}
		if n := len(e.do("GET", "/users/list", e.secret(), nil).want(200).json()["values"].([]any)); n != 1 {
			t.Fatalf("users after deletes = %d, want 1 (u1 keeps its alias)", n)
		}
		e.do("POST", "/users/delete", e.secret(), `{"userId":""}`).wantProblem(400, nil)
	})
}

func TestAuthConfigs(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		configs := func(q string) []map[string]any {
			var res struct{ Configurations []map[string]any }
			e.do("GET", "/auth-configs/list"+q, e.secret(), nil).want(200).decode(&res)
			return res.Configurations
		}
		got := configs("")
		if len(got) != 2 || got[0]["purpose"] != "step-up" || got[1]["purpose"] != "sign-in" {
			t.Fatalf("presets = %v", got)
		}
		for k, want := range map[string]any{"userVerificationRequirement": "preferred", "timeToLive": float64(120), "hints": "", "createdBy": "System", "createdOn": nil, "editedBy": nil, "lastUsedOn": nil} {
			if got[1][k] != want {
				t.Errorf("sign-in preset %s = %#v, want %#v", k, got[1][k], want)
			}
		}
		if got := configs("?purpose=random"); len(got) != 0 {
			t.Fatalf("unknown purpose list = %v", got)
		}

		add := func(body string) *response { return e.do("POST", "/auth-configs/add", e.secret(), body) }
		add(`{"purpose":"transfer","userVerificationRequirement":"required","timeToLive":"00:05:00","hints":["security-key","hybrid"],"performedBy":"admin"}`).want(201)
		got = configs("?purpose=transfer")
		if len(got) != 1 || got[0]["timeToLive"] != float64(300) || got[0]["hints"] != "SecurityKey, Hybrid" || got[0]["createdBy"] != "admin" ||
			got[0]["userVerificationRequirement"] != "required" || !strings.HasSuffix(got[0]["createdOn"].(string), "+00:00") {
			t.Fatalf("transfer = %v", got)
		}
		add(`{"purpose":"transfer","performedBy":"admin"}`).wantProblem(400, map[string]any{"title": "The configuration transfer already exists."})
		add(`{"purpose":"sign-in","performedBy":"admin"}`).wantProblem(400, map[string]any{"title": "The configuration sign-in already exists."})
		for _, bad := range []string{
			`{"purpose":"has space","performedBy":"a"}`,
			`{"purpose":"x","performedBy":""}`,
			`{"purpose":"x","performedBy":"a","userVerificationRequirement":"sometimes"}`,
			`{"purpose":"x","performedBy":"a","timeToLive":"00:00:00"}`,
			`{"purpose":"x","performedBy":"a","timeToLive":"-00:01:00"}`,
			`{"purpose":"x","performedBy":"a","timeToLive":"soon"}`,
			`{"purpose":"x","performedBy":"a","hints":["bluetooth"]}`,
		} {
			add(bad).wantProblem(400, map[string]any{"title": "One or more validation errors occurred."})
		}

		// Edit: a preset becomes stored; unknown purposes are 404.
		edit := func(body string) *response { return e.do("POST", "/auth-configs", e.secret(), body) }
		edit(`{"purpose":"step-up","userVerificationRequirement":"required","timeToLive":"00:10:00","performedBy":"editor"}`).want(204)
		su := configs("?purpose=step-up")[0]
		if su["timeToLive"] != float64(600) || su["editedBy"] != "editor" || su["editedOn"] == nil || su["userVerificationRequirement"] != "required" {
			t.Fatalf("edited step-up = %v", su)
		}
		edit(`{"purpose":"nope","performedBy":"editor"}`).wantProblem(404, map[string]any{"title": "The configuration nope does not exist."})
		e.do("POST", "/auth-configs/", e.secret(), `{"purpose":"transfer","timeToLive":"00:01:00","performedBy":"editor"}`).want(204)

		// Sign-ins take the purpose's settings.
		a := softauthn.New()
		e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		begin := e.do("POST", "/signin/begin", e.public(), clientBody(map[string]any{"userId": "u1", "purpose": "step-up"})).want(200).json()
		if uv := begin["data"].(map[string]any)["userVerification"]; uv != "required" {
			t.Fatalf("step-up userVerification = %v", uv)
		}
		for purpose, want := range map[string]struct {
			purpose string
			ttl     time.Duration
		}{
			"step-up":  {"step-up", 10 * time.Minute},
			"transfer": {"transfer", time.Minute},
			"unknown":  {"sign-in", 2 * time.Minute},
		} {
			v := e.verify(e.token("/signin/complete", e.public(), e.signinBody(a, map[string]any{"userId": "u1", "purpose": purpose})))
			if v["purpose"] != want.purpose {
				t.Errorf("purpose %s: verify purpose = %v, want %s", purpose, v["purpose"], want.purpose)
			}
			ts, _ := time.Parse(time.RFC3339Nano, v["timestamp"].(string))
			exp, _ := time.Parse(time.RFC3339Nano, v["expiresAt"].(string))
			if exp.Sub(ts) != want.ttl {
				t.Errorf("purpose %s: token lifetime %v, want %v", purpose, exp.Sub(ts), want.ttl)
			}
		}
		if got := configs("?purpose=sign-in"); got[0]["lastUsedOn"] == nil {
			t.Fatalf("sign-in lastUsedOn not set after a sign-in: %v", got)
		}

		del := func(body string) *response { return e.do("POST", "/auth-configs/delete", e.secret(), body) }
		del(`{"purpose":"sign-in","performedBy":"a"}`).wantProblem(400, map[string]any{"title": "The sign-in configuration cannot be deleted."})
		del(`{"purpose":"nope","performedBy":"a"}`).wantProblem(404, nil)
		del(`{"purpose":"transfer","performedBy":"a"}`).want(204)
		if got := configs("?purpose=transfer"); len(got) != 0 {
			t.Fatalf("deleted config still listed: %v", got)
		}
	})
}

func TestSelfServiceFeatures(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		e.do("POST", "/apps/features", e.secret(), `{"performedBy":"a_user","enableManuallyGeneratedAuthenticationTokens":false}`).want(204)
		e.do("POST", "/signin/generate-token", e.secret(), `{"userId":"u1"}`).
			wantProblem(403, map[string]any{"title": "The 'POST /signin/generate-token' endpoint is disabled", "errorCode": nil})
		e.do("POST", "/apps/features", e.secret(), `{"enableManuallyGeneratedAuthenticationTokens":true}`).want(204)
		e.do("POST", "/signin/generate-token", e.secret(), `{"userId":"u1"}`).want(200)
		for _, bad := range []string{`{"eventLoggingRetentionPeriod":-1}`, `{"eventLoggingRetentionPeriod":366}`} {
			e.do("POST", "/apps/features", e.secret(), bad).wantProblem(400, nil)
		}
		// Unknown members (the Python SDK's old auditLoggingRetentionPeriod) are ignored.
		e.do("POST", "/apps/features", e.secret(), `{"auditLoggingRetentionPeriod":7}`).want(204)
		e.do("POST", "/apps/features", e.secret(), `{"eventLoggingRetentionPeriod":30}`).want(204)
		f := e.do("GET", "/admin/apps/"+e.appID+"/features", mgmt(), nil).want(200).json()
		if f["eventLoggingRetentionPeriod"] != float64(30) || f["isGenerateSignInTokenEndpointEnabled"] != true {
			t.Fatalf("features = %v", f)
		}
		// The retention new apps get is a value the endpoint takes too.
		e.do("POST", "/apps/features", e.secret(), `{"eventLoggingRetentionPeriod":365}`).want(204)
		// A toggle alone keeps the retention.
		e.do("POST", "/apps/features", e.secret(), `{"enableMagicLinks":false}`).want(204)
		f = e.do("GET", "/admin/apps/"+e.appID+"/features", mgmt(), nil).want(200).json()
		if f["eventLoggingRetentionPeriod"] != float64(365) || f["isMagicLinksEnabled"] != false {
			t.Fatalf("features = %v", f)
		}
	})
}

func TestAllowedOriginsAndRPIDs(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), map[string]any{
			"allowedOrigins": []string{"https://EXAMPLE.com:443/"}, "allowedRpIds": []string{testRPID},
		}).want(204)
		f := e.do("GET", "/admin/apps/"+e.appID+"/features", mgmt(), nil).want(200).json()
		if len(f["allowedOrigins"].([]any)) != 1 {
			t.Fatalf("features = %v", f)
		}
		// The listed origin (normalised) works.
		e.do("POST", "/signin/complete", e.public(), e.signinBody(a, map[string]any{"userId": "u1"})).want(200)
		e.do("POST", "/signin/begin", e.public(), map[string]any{"Origin": "https://other.example", "RPID": testRPID}).
			wantProblem(400, map[string]any{"errorCode": "origin_not_allowed"})
		e.do("POST", "/signin/begin", e.public(), map[string]any{"Origin": testOrigin, "RPID": "other.example"}).
			wantProblem(400, map[string]any{"errorCode": "rpid_not_allowed"})
		// A features write without the lists keeps them; [] clears.
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"eventLoggingIsEnabled":true}`).want(204)
		e.do("POST", "/signin/begin", e.public(), map[string]any{"Origin": "https://other.example", "RPID": testRPID}).wantProblem(400, nil)
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"allowedOrigins":[],"allowedRpIds":[]}`).want(204)
		e.do("POST", "/signin/begin", e.public(), map[string]any{"Origin": "https://other.example", "RPID": "other.example"}).want(200)
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"allowedOrigins":["not an origin"]}`).wantProblem(400, nil)
	})
}

// TestEvents triggers every event type the API emits and reads it back.
func TestEvents(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		e.do("GET", "/events?pageNumber=1", e.secret(), nil).wantProblem(403, nil)
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"eventLoggingIsEnabled":true,"eventLoggingRetentionPeriod":7,"allowAttestation":true}`).want(204)

		aaguids := map[string]any{"aaGuids": []string{mdstest.Certified.String()}, "isAllowed": false}
		e.do("POST", "/authenticators/add", e.secret(), aaguids).want(204)    // 1300
		e.do("POST", "/authenticators/remove", e.secret(), aaguids).want(204) // 1302
		a := softauthn.New()
		verify, cred := e.register(a, map[string]any{"userId": "u1", "username": "alice"})                                                                            // 1000, 1001, 1002
		e.verify(verify)                                                                                                                                              // 1104
		e.do("POST", "/signin/complete", e.public(), e.signinBody(a, map[string]any{"userId": "u1"})).want(200)                                                       // 1103
		e.do("POST", "/alias", e.secret(), `{"userId":"u1","aliases":["x"]}`).want(204)                                                                               // 1100
		e.do("POST", "/credentials/delete", e.secret(), map[string]any{"credentialId": base64.RawURLEncoding.EncodeToString(cred.ID)}).want(204)                      // 1101
		e.do("POST", "/users/delete", e.secret(), `{"userId":"u1"}`).want(200)                                                                                        // 1105
		e.do("POST", "/auth-configs/add", e.secret(), `{"purpose":"p","performedBy":"a"}`).want(201)                                                                  // 1400
		e.do("POST", "/auth-configs", e.secret(), `{"purpose":"p","performedBy":"a"}`).want(204)                                                                      // 1401
		e.do("POST", "/auth-configs/delete", e.secret(), `{"purpose":"p","performedBy":"a"}`).want(204)                                                               // 1402
		e.do("POST", "/apps/features", e.secret(), `{"performedBy":"a_user","enableManuallyGeneratedAuthenticationTokens":false,"enableMagicLinks":false}`).want(204) // 7014, 7016
		e.do("POST", "/apps/features", e.secret(), `{"performedBy":"a_user","enableManuallyGeneratedAuthenticationTokens":true,"enableMagicLinks":true}`).want(204)   // 7013, 7015
		e.do("GET", "/admin/apps/"+e.appID+"/api-keys", mgmt(), nil).want(200)                                                                                        // 7012
		e.do("POST", "/admin/apps/"+e.appID+"/public-keys", mgmt(), `{"scopes":[0,1]}`).want(200)                                                                     // 7008
		pubID := e.app.APIKey2[len(e.app.APIKey2)-4:]
		secID := e.app.APISecret2[len(e.app.APISecret2)-4:]
		e.do("POST", "/admin/apps/"+e.appID+"/api-keys/"+pubID+"/lock", mgmt(), nil).want(204)           // 7010
		e.do("POST", "/signin/begin", http.Header{"ApiKey": {e.app.APIKey2}}, clientBody(nil)).want(401) // 1006
		e.do("POST", "/admin/apps/"+e.appID+"/api-keys/"+pubID+"/unlock", mgmt(), nil).want(204)         // 7011
		e.do("POST", "/admin/apps/"+e.appID+"/api-keys/"+secID+"/lock", mgmt(), nil).want(204)
		e.do("GET", "/users/count", http.Header{"ApiSecret": {e.app.APISecret2}}, nil).want(401) // 1005
		e.do("POST", "/admin/apps/"+e.appID+"/api-keys/"+secID, mgmt(), nil).want(405)
		e.do("DELETE", "/admin/apps/"+e.appID+"/api-keys/"+secID, mgmt(), nil).want(204)                                          // 7009
		e.do("GET", "/users/count", http.Header{"ApiSecret": {e.appID + ":secret:invalid-secret-key"}}, nil).want(401)            // 1003
		e.do("POST", "/signin/begin", http.Header{"ApiKey": {e.appID + ":public:invalid-public-key"}}, clientBody(nil)).want(401) // 1004
		e.do("POST", "/admin/apps/"+e.appID+"/freeze", mgmt(), nil).want(204)                                                     // 1203
		e.do("POST", "/admin/apps/"+e.appID+"/unfreeze", mgmt(), nil).want(204)                                                   // 1204
		e.clock.Advance(4 * 24 * time.Hour)
		e.register(softauthn.New(), map[string]any{"userId": "u2", "username": "bob"})                           // keeps the app from immediate deletion
		e.do("POST", "/admin/apps/"+e.appID+"/mark-delete", mgmt(), `{"deletedBy":"ops@example.com"}`).want(200) // 1200
		e.do("POST", "/admin/apps/"+e.appID+"/cancel-delete", mgmt(), nil).want(200)                             // 1201

		var page struct {
			TenantID        string
			TotalEventCount int
			Events          []map[string]any
		}
		e.do("GET", "/events?pageNumber=1&numberOfResults=1000", e.secret(), nil).want(200).decode(&page)
		if page.TenantID != e.appID || page.TotalEventCount != len(page.Events) {
			t.Fatalf("page header = %s %d (%d events)", page.TenantID, page.TotalEventCount, len(page.Events))
		}
		seen := map[string]map[string]any{}
		for _, ev := range page.Events {
			seen[ev["eventType"].(string)] = ev
		}
		for _, want := range []string{
			"ApiAuthUserRegistered", "ApiAuthPasskeyRegistrationBegan", "ApiAuthPasskeyRegistrationCompleted",
			"ApiAuthInvalidSecretKeyUsed", "ApiAuthInvalidPublicKeyUsed", "ApiAuthDisabledSecretKeyUsed", "ApiAuthDisabledPublicKeyUsed",
			"ApiAuthenticatorsAllowlisted", "ApiAuthenticatorsDelisted", "ApiUserSetAliases", "ApiUserDeleteCredential", "ApiUserSignInCompleted", "ApiUserSignInVerified", "ApiUserDeleted",
			"ApiManagementAppMarkedForDeletion", "ApiManagementAppDeletionCancelled", "ApiManagementAppFrozen", "ApiManagementAppUnfrozen",
			"ApiAuthenticationConfigurationCreated", "ApiAuthenticationConfigurationUpdated", "ApiAuthenticationConfigurationDeleted",
			"AdminApiKeyCreated", "AdminApiKeyDeleted", "AdminApiKeyLocked", "AdminApiKeyUnlocked", "AdminApiKeysEnumerated",
			"AdminGenerateSignInTokenEndpointEnabled", "AdminGenerateSignInTokenEndpointDisabled", "AdminMagicLinksEnabled", "AdminMagicLinksDisabled",
		} {
			if seen[want] == nil {
				t.Errorf("event %s not recorded", want)
			}
		}
		if ev := seen["AdminMagicLinksEnabled"]; ev != nil && (ev["performedBy"] != "a_user" || ev["severity"] != "Alert") {
			t.Errorf("AdminMagicLinksEnabled = %v", ev)
		}
		if ev := seen["ApiAuthInvalidSecretKeyUsed"]; ev != nil && (ev["performedBy"] != "Unknown User" || ev["subject"] != e.appID) {
			t.Errorf("ApiAuthInvalidSecretKeyUsed = %v", ev)
		}
		if ev := seen["ApiAuthUserRegistered"]; ev != nil && (ev["message"] != "Created registration token for u1" || ev["apiKeyId"] == "" || ev["tenantId"] != e.appID) {
			t.Errorf("ApiAuthUserRegistered = %v", ev)
		}
		// Paging: newest first, two pages of one.
		var p1, p2 struct{ Events []map[string]any }
		e.do("GET", "/events?pagenumber=1&numberofresults=1", e.secret(), nil).want(200).decode(&p1)
		e.do("GET", "/events?pageNumber=2&numberOfResults=1", e.secret(), nil).want(200).decode(&p2)
		if len(p1.Events) != 1 || len(p2.Events) != 1 || p1.Events[0]["performedAt"].(string) < p2.Events[0]["performedAt"].(string) {
			t.Fatalf("paging: %v / %v", p1.Events, p2.Events)
		}
		e.do("GET", "/events", e.secret(), nil).wantProblem(400, nil)
		e.do("GET", "/events?pageNumber=0", e.secret(), nil).wantProblem(400, nil)
		e.do("GET", "/events?pageNumber=1&numberOfResults=1001", e.secret(), nil).wantProblem(400, nil)
	})
}

// TestEventsPageBounds: the paging parameters are 32-bit numbers, as the
// original binds them, and no page number wraps around to an earlier page.
func TestEventsPageBounds(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"eventLoggingIsEnabled":true,"eventLoggingRetentionPeriod":7}`).want(204)
		e.do("GET", "/users/count", http.Header{"ApiSecret": {e.appID + ":secret:invalid-secret-key"}}, nil).want(401) // one event
		tests := []struct {
			query      string
			status     int
			badField   string // the validation error's member, for a 400
			wantEvents int
		}{
			{query: "pageNumber=1", status: 200, wantEvents: 1},
			{query: "pageNumber=2147483647&numberOfResults=1000", status: 200, wantEvents: 0},
			{query: "pageNumber=2147483648", status: 400, badField: "pageNumber"},
			{query: "pageNumber=-2147483649", status: 400, badField: "pageNumber"},
			// (2^62+1 - 1) * 100 is 0 in 64-bit arithmetic: it used to answer page 1.
			{query: "pageNumber=4611686018427387905", status: 400, badField: "pageNumber"},
			{query: "pageNumber=9223372036854775807&numberOfResults=1000", status: 400, badField: "pageNumber"},
			{query: "pageNumber=1&numberOfResults=2147483648", status: 400, badField: "numberOfResults"},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				r := e.in(t).do("GET", "/events?"+tt.query, e.secret(), nil)
				if tt.status == 400 {
					doc := r.wantProblem(400, map[string]any{"title": "One or more validation errors occurred."})
					if errs, _ := doc["errors"].(map[string]any); errs[tt.badField] == nil {
						t.Fatalf("errors = %v, want a message for %s", doc["errors"], tt.badField)
					}
					return
				}
				var page struct {
					Events          []map[string]any
					TotalEventCount int
				}
				r.want(tt.status).decode(&page)
				if len(page.Events) != tt.wantEvents || page.TotalEventCount != 1 {
					t.Fatalf("%d events of %d, want %d of 1", len(page.Events), page.TotalEventCount, tt.wantEvents)
				}
			})
		}
	})
}

func TestReports(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		e.register(softauthn.New(), map[string]any{"userId": "u1", "username": "alice"})
		if err := reports.New(e.store).Snapshot(t.Context(), e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		today := e.clock.Now().Format("2006-01-02")
		var creds []map[string]any
		e.do("GET", "/reporting/credentials/periodic?from="+today+"&to="+today, e.secret(), nil).want(200).decode(&creds)
		if len(creds) != 1 || creds[0]["createdAt"] != today || creds[0]["users"] != float64(1) || creds[0]["credentials"] != float64(1) {
			t.Fatalf("credentials report = %v", creds)
		}
		var active []map[string]any
		e.do("GET", "/reporting/active-users/periodic", e.secret(), nil).want(200).decode(&active)
		if len(active) != 1 || active[0]["dailyActiveUsers"] != float64(1) || active[0]["totalUsers"] != float64(1) {
			t.Fatalf("active users report = %v", active)
		}
		e.do("GET", "/reporting/credentials/periodic?from=2026-13-01", e.secret(), nil).wantProblem(400, nil)
		var none []map[string]any
		e.do("GET", "/reporting/credentials/periodic?to=2000-01-01", e.secret(), nil).want(200).decode(&none)
		if len(none) != 0 {
			t.Fatalf("rows before 2000: %v", none)
		}
	})
}
