package httpapi_test

import (
	"testing"
)

// TestTextPostgreSQLCannotHold: NULs and bytes that are not UTF-8 reach the
// server through query strings, paths and JSON escapes. PostgreSQL refuses
// them even in a lookup, so the transport turns them into U+FFFD (query
// values), a 404 (paths) or a 400 (NUL in a body string), the same on every
// store, and never a 500.
func TestTextPostgreSQLCannotHold(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		for _, path := range []string{
			"/alias/list?userId=%FF", "/alias/list?userid=a%00b",
			"/credentials/list?userId=%FF%FE", "/auth-configs/list?purpose=%FF",
			"/auth-configs/list?purpose=%00",
		} {
			e.in(t).do("GET", path, e.secret(), nil).want(200)
		}
		e.in(t).do("GET", "/auth-configs/list?purpose=%FF", e.secret(), nil).want(200)
		for _, path := range []string{"/admin/apps/te%FFst/features", "/admin/apps/te%00st/features", "/admin/apps/%FFab/available"} {
			e.in(t).do("GET", path, mgmt(), nil).wantProblem(404, nil)
		}
		for _, tt := range []struct{ path, body string }{
			{"/alias", `{"userId":"a\u0000b","aliases":["x"]}`},
			{"/alias", `{"userId":"u1","aliases":["x\u0000"]}`},
			{"/auth-configs/add", `{"purpose":"p\u0000","userVerificationRequirement":"preferred","timeToLive":60}`},
			{"/credentials/list", `{"userId":"\u0000"}`},
			{"/users/delete", `{"userId":"\u0000"}`},
		} {
			m := e.in(t).do("POST", tt.path, e.secret(), tt.body).wantProblem(400, nil)
			if m["title"] != `Strings in the request body must not contain the NUL character (\u0000).` {
				t.Errorf("%s %s: title %q", tt.path, tt.body, m["title"])
			}
		}
		// An escaped backslash before "u0000" is no NUL.
		e.in(t).do("POST", "/alias", e.secret(), `{"userId":"u1","aliases":["a\\u0000"]}`).want(204)
	})
}
