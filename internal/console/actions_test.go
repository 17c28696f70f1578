package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/users"
)

// addUser registers a user with one passkey in the app, through the API.
func (e *env) addUser(appID, userID string) {
	e.t.Helper()
	ctx := context.Background()
	app, err := e.apps.Get(ctx, appID)
	if err != nil {
		e.t.Fatal(err)
	}
	ps := passkey.New(passkey.Deps{Store: e.store, Tokens: e.console.cfg.Tokens, Configs: e.configs})
	tok, err := ps.RegisterToken(ctx, app, passkey.RegisterTokenRequest{UserID: ptrWire(userID), Username: ptrWire(userID + "@example.com")})
	if err != nil {
		e.t.Fatal(err)
	}
	key, err := e.console.appPublicKey(ctx, appID, false)
	if err != nil {
		e.t.Fatal(err)
	}
	e.registerWith(softauthn.New(), key, tok.Token)
}

// signin signs the administrator in again (after the clock has moved past
// the session's lifetime) and returns the new cookie and CSRF token.
func (e *env) signin(a *softauthn.Authenticator) (*http.Cookie, string) {
	e.t.Helper()
	r := e.do("POST", "/console/signin", url.Values{"token": {e.signinWith(a, e.consoleKey())}}, nil)
	ck := r.cookie(cookieName)
	if r.status != http.StatusSeeOther || ck == nil {
		e.t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	return ck, e.csrf(ck)
}

func (e *env) getApp(id string) (store.App, bool) {
	e.t.Helper()
	app, err := e.apps.Get(context.Background(), id)
	if apps.IsNotFound(err) {
		return app, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return app, true
}

func TestAppDeletion(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, a := e.admin()
		csrf := e.csrf(ck)

		// A new app goes at once, but only with the confirmation.
		e.post(ck, csrf, "/console/apps", url.Values{"id": {"fresh"}}, 200)
		e.post(ck, csrf, "/console/apps/fresh/mark-delete", url.Values{"confirm": {"wrong"}}, http.StatusBadRequest)
		if _, ok := e.getApp("fresh"); !ok {
			t.Fatal("an unconfirmed deletion deleted the app")
		}
		r := e.post(ck, csrf, "/console/apps/fresh/mark-delete", url.Values{"confirm": {"fresh"}}, 200)
		if _, ok := e.getApp("fresh"); ok || !strings.Contains(r.body, "was deleted") {
			t.Fatalf("a new app was not deleted at once: %s", r.body)
		}

		// An app older than three days with users is locked and scheduled.
		e.post(ck, csrf, "/console/apps", url.Values{"id": {"shop"}}, 200)
		e.addUser("shop", "u1")
		e.clock.Advance(4 * 24 * time.Hour)
		ck, csrf = e.signin(a)
		if r := e.do("GET", "/console/apps/shop", nil, nil, ck); !strings.Contains(r.body, "This app has users") {
			t.Fatalf("app page before the deletion: %s", r.body)
		}
		e.post(ck, csrf, "/console/apps/shop/mark-delete", url.Values{"confirm": {"shop"}}, http.StatusSeeOther)
		app, ok := e.getApp("shop")
		if !ok || app.DeleteAt == nil {
			t.Fatalf("shop after mark-delete: %v %+v", ok, app)
		}
		if keys, _ := e.apps.ListKeys(context.Background(), "shop"); !allLocked(keys) {
			t.Fatalf("keys of an app pending deletion: %+v", keys)
		}
		page := e.do("GET", "/console/apps/shop", nil, nil, ck).body
		if !strings.Contains(page, "scheduled for deletion") || strings.Contains(page, "Delete now") {
			t.Fatalf("app page while pending: %s", page)
		}
		r = e.post(ck, csrf, "/console/apps/shop/delete", url.Values{}, http.StatusBadRequest)
		if _, ok := e.getApp("shop"); !ok || !strings.Contains(r.body, "cannot be deleted yet") {
			t.Fatalf("delete before the scheduled time: %s", r.body)
		}

		// Cancelling unlocks the keys and clears the schedule.
		e.post(ck, csrf, "/console/apps/shop/cancel-delete", url.Values{}, http.StatusSeeOther)
		if app, _ := e.getApp("shop"); app.DeleteAt != nil {
			t.Fatalf("still scheduled after cancel: %v", app.DeleteAt)
		}
		if keys, _ := e.apps.ListKeys(context.Background(), "shop"); anyLocked(keys) {
			t.Fatalf("keys after cancel: %+v", keys)
		}

		// Scheduled again and past due, the app can be deleted for good.
		e.post(ck, csrf, "/console/apps/shop/mark-delete", url.Values{"confirm": {"shop"}}, http.StatusSeeOther)
		e.clock.Advance(32 * 24 * time.Hour)
		ck, csrf = e.signin(a)
		if page := e.do("GET", "/console/apps/shop", nil, nil, ck).body; !strings.Contains(page, "Delete now") {
			t.Fatalf("app page when due: %s", page)
		}
		r = e.post(ck, csrf, "/console/apps/shop/delete", url.Values{}, 200)
		if _, ok := e.getApp("shop"); ok || !strings.Contains(r.body, "was deleted") {
			t.Fatalf("delete when due: %s", r.body)
		}
		if r := e.do("GET", "/console/apps", nil, nil, ck); strings.Contains(r.body, "/console/apps/shop") {
			t.Fatal("the deleted app is still listed")
		}
	})
}

func allLocked(keys []apps.KeyView) bool {
	for _, k := range keys {
		if !k.IsLocked {
			return false
		}
	}
	return len(keys) > 0
}

func anyLocked(keys []apps.KeyView) bool {
	for _, k := range keys {
		if k.IsLocked {
			return true
		}
	}
	return false
}

func TestKeyUnlockAndDelete(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		e.post(ck, csrf, "/console/apps", url.Values{"id": {"shop"}}, 200)
		ctx := context.Background()
		keys, _ := e.apps.ListKeys(ctx, "shop")
		id := keys[0].ID
		find := func() (apps.KeyView, bool) {
			list, _ := e.apps.ListKeys(ctx, "shop")
			for _, k := range list {
				if k.ID == id {
					return k, true
				}
			}
			return apps.KeyView{}, false
		}
		base := "/console/apps/shop/keys/" + id + "/"
		e.post(ck, csrf, base+"lock", url.Values{}, http.StatusSeeOther)
		if k, _ := find(); !k.IsLocked {
			t.Fatal("not locked")
		}
		e.post(ck, csrf, base+"unlock", url.Values{}, http.StatusSeeOther)
		if k, _ := find(); k.IsLocked {
			t.Fatal("still locked after unlock")
		}
		e.post(ck, csrf, base+"rotate", url.Values{}, http.StatusNotFound)
		e.post(ck, csrf, base+"delete", url.Values{}, http.StatusSeeOther)
		if _, ok := find(); ok {
			t.Fatal("the key is still there after delete")
		}
		if r := e.do("GET", "/console/apps/shop/keys", nil, nil, ck); strings.Contains(r.body, `data-key="`+id+`"`) {
			t.Fatal("the deleted key is still listed")
		}
		r := e.post(ck, csrf, base+"delete", url.Values{}, http.StatusNotFound)
		if !strings.Contains(r.body, "class=\"error\"") {
			t.Fatalf("deleting a missing key: %s", r.body)
		}
	})
}

func TestSignInPurposes(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		e.post(ck, csrf, "/console/apps", url.Values{"id": {"shop"}}, 200)
		get := func(purpose string) (v struct {
			UV    string
			TTL   int64
			Hints string
			By    string
		}, found bool) {
			list, err := e.configs.List(context.Background(), "shop", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range list.Configurations {
				if c.Purpose == purpose {
					v.UV, v.TTL, v.Hints = c.UserVerificationRequirement, c.TimeToLive, c.Hints
					if c.EditedBy != nil {
						v.By = *c.EditedBy
					}
					return v, true
				}
			}
			return v, false
		}
		base := "/console/apps/shop/auth-configs/"
		e.post(ck, csrf, base+"add", url.Values{"purpose": {"checkout"}, "userVerification": {"required"}, "timeToLive": {"300"},
			"hint": {"security-key", "hybrid"}}, http.StatusSeeOther)
		if c, ok := get("checkout"); !ok || c.UV != "required" || c.TTL != 300 || !strings.Contains(c.Hints, "SecurityKey") || !strings.Contains(c.Hints, "Hybrid") {
			t.Fatalf("after add: %v %+v", ok, c)
		}
		if r := e.do("GET", "/console/apps/shop/auth-configs", nil, nil, ck); !strings.Contains(r.body, "<code>checkout</code>") {
			t.Fatal("the new purpose is not listed")
		}
		e.post(ck, csrf, base+"add", url.Values{"purpose": {"bad"}, "timeToLive": {"soon"}}, http.StatusBadRequest)
		if _, ok := get("bad"); ok {
			t.Fatal("a purpose with a bad lifetime was added")
		}

		e.post(ck, csrf, base+"edit", url.Values{"purpose": {"checkout"}, "userVerification": {"discouraged"}, "timeToLive": {"60"}}, http.StatusSeeOther)
		if c, _ := get("checkout"); c.UV != "discouraged" || c.TTL != 60 || c.Hints != "" || c.By != "Ada" {
			t.Fatalf("after edit: %+v", c)
		}

		e.post(ck, csrf, base+"delete", url.Values{"purpose": {"checkout"}}, http.StatusSeeOther)
		if _, ok := get("checkout"); ok {
			t.Fatal("the purpose is still there after delete")
		}
		// The presets can be edited but not deleted.
		e.post(ck, csrf, base+"delete", url.Values{"purpose": {"sign-in"}}, http.StatusBadRequest)
		if _, ok := get("sign-in"); !ok {
			t.Fatal("the sign-in preset was deleted")
		}
	})
}

func TestUserDelete(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		e.post(ck, csrf, "/console/apps", url.Values{"id": {"shop"}}, 200)
		e.addUser("shop", "u1")
		e.addUser("shop", "u2")
		e.post(ck, csrf, "/console/apps/shop/users/delete", url.Values{"userId": {"u1"}}, http.StatusSeeOther)
		app, _ := e.getApp("shop")
		ctx := context.Background()
		list, _ := users.New(e.store).ListUsers(ctx, app)
		if len(list.Values) != 1 || list.Values[0].UserID != "u2" {
			t.Fatalf("users after deleting u1: %+v", list.Values)
		}
		if creds, _ := users.New(e.store).ListCredentials(ctx, app, "u1"); len(creds.Values) != 0 {
			t.Fatalf("u1's passkeys survived: %+v", creds.Values)
		}
		if r := e.do("GET", "/console/apps/shop/users", nil, nil, ck); strings.Contains(r.body, "u1") || !strings.Contains(r.body, "u2") {
			t.Fatalf("users page after delete: %s", r.body)
		}
	})
}

// The usage page shows today's numbers without waiting for the hourly
// maintenance job, and refreshes them at most once a minute.
func TestUsageShowsToday(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		e.post(ck, csrf, "/console/apps", url.Values{"id": {"shop"}}, 200)
		e.addUser("shop", "u1")
		credentials := func() string {
			body := e.do("GET", "/console/apps/shop/usage?days=7", nil, nil, ck).body
			day := e.clock.Now().UTC().Format("2006-01-02")
			m := regexp.MustCompile(`<title>Credentials ` + day + `: (\d+)</title>`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no point for today's credentials in\n%s", body)
			}
			return m[1]
		}
		if n := credentials(); n != "1" {
			t.Fatalf("credentials today: %s, want 1", n)
		}
		e.addUser("shop", "u2")
		if n := credentials(); n != "1" {
			t.Fatalf("a second view within the minute refreshed again: %s", n)
		}
		e.clock.Advance(usageRefreshEvery)
		if n := credentials(); n != "2" {
			t.Fatalf("credentials after a minute: %s, want 2", n)
		}
	})
}
