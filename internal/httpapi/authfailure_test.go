package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestRejectedKeyEvents presents rejected values in each authentication
// header and reads the app's event log: an invalid or locked key records
// one alert of the type that names the key's kind and state, in the log of
// the app the key names; a value that is not in key form (no app id
// before a ':') names no app, and records nothing even when the whole
// value is an app's id.
func TestRejectedKeyEvents(t *testing.T) {
	// change alters one character inside the random part of a key,
	// keeping its app id and its key id.
	change := func(key string) string {
		i := len(key) - 10
		c := byte('a')
		if key[i] == 'a' {
			c = 'b'
		}
		return key[:i] + string(c) + key[i+1:]
	}
	tests := []struct {
		name   string
		header string
		value  func(e *env) string
		lock   bool   // lock the presented key first
		want   string // the event type recorded, "" for none
	}{
		{"invalid public key", "ApiKey", func(e *env) string { return change(e.app.APIKey2) }, false, "ApiAuthInvalidPublicKeyUsed"},
		{"invalid secret", "ApiSecret", func(e *env) string { return change(e.app.APISecret2) }, false, "ApiAuthInvalidSecretKeyUsed"},
		{"locked public key", "ApiKey", func(e *env) string { return e.app.APIKey2 }, true, "ApiAuthDisabledPublicKeyUsed"},
		{"locked secret", "ApiSecret", func(e *env) string { return e.app.APISecret2 }, true, "ApiAuthDisabledSecretKeyUsed"},
		{"public: the app id alone", "ApiKey", func(e *env) string { return e.appID }, false, ""},
		{"secret: the app id alone", "ApiSecret", func(e *env) string { return e.appID }, false, ""},
		{"secret without an app id", "ApiSecret", func(e *env) string { return e.app.APISecret2[len(e.appID):] }, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"eventLoggingIsEnabled":true}`).want(204)
			value := tt.value(e)
			if tt.lock {
				e.do("POST", "/admin/apps/"+e.appID+"/api-keys/"+value[len(value)-4:]+"/lock", mgmt(), nil).want(204)
			}
			if tt.header == "ApiKey" {
				e.do("POST", "/signin/begin", http.Header{"ApiKey": {value}}, clientBody(nil)).want(401)
			} else {
				e.do("GET", "/users/count", http.Header{"ApiSecret": {value}}, nil).want(401)
			}

			var page struct{ Events []map[string]any }
			e.do("GET", "/events?pageNumber=1&numberOfResults=1000", e.secret(), nil).want(200).decode(&page)
			var got []map[string]any
			for _, ev := range page.Events {
				if typ, _ := ev["eventType"].(string); strings.HasPrefix(typ, "ApiAuthInvalid") || strings.HasPrefix(typ, "ApiAuthDisabled") {
					got = append(got, ev)
				}
			}
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("%s %q recorded %v, want nothing", tt.header, value, got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%s %q recorded %v, want one %s", tt.header, value, got, tt.want)
			}
			ev := got[0]
			if ev["eventType"] != tt.want || ev["severity"] != "Alert" || ev["subject"] != e.appID ||
				!strings.Contains(ev["message"].(string), "its "+tt.header+" header") {
				t.Fatalf("%s %q recorded %v, want a %s alert about the %s header", tt.header, value, ev, tt.want, tt.header)
			}
		})
	}
}
