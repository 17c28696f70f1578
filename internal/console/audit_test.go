package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/users"
)

// storedEvents returns the app's events as "Type by Performer: Message".
func (e *env) storedEvents(appID string) []string {
	e.t.Helper()
	rows, _, err := e.store.ListEvents(context.Background(), appID, 0, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, events.Type(r.Type).String()+" by "+r.PerformedBy+": "+r.Message)
	}
	return out
}

func hasEvent(list []string, prefix string) bool {
	for _, l := range list {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// Console actions that change an app are in the app's event log, performed
// by the administrator, and on its events page.
func TestConsoleActionsAreLogged(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		e.post(ck, csrf, "/console/apps", url.Values{"id": {"shop"}, "eventLogging": {"on"}}, 200)
		e.addUser("shop", "u1")
		e.addUser("shop", "u2")
		app, _ := e.getApp("shop")
		creds, _ := users.New(e.store).ListCredentials(context.Background(), app, "u1")

		r := e.post(ck, csrf, "/console/apps/shop/keys", url.Values{"kind": {"secret"}, "scope": {"token_register"}}, 200)
		keyID := regexp.MustCompile(`shop:secret:[0-9a-f]{28}([0-9a-f]{4})`).FindStringSubmatch(r.body)
		if keyID == nil {
			t.Fatalf("no new secret on the page: %s", r.body)
		}
		e.post(ck, csrf, "/console/apps/shop/keys/"+keyID[1]+"/lock", url.Values{}, http.StatusSeeOther)
		e.post(ck, csrf, "/console/apps/shop/keys/"+keyID[1]+"/delete", url.Values{}, http.StatusSeeOther)
		e.post(ck, csrf, "/console/apps/shop/credentials/delete", url.Values{"userId": {"u1"}, "credentialId": {creds.Values[0].Descriptor.ID}}, http.StatusSeeOther)
		e.post(ck, csrf, "/console/apps/shop/users/delete", url.Values{"userId": {"u2"}}, http.StatusSeeOther)
		e.post(ck, csrf, "/console/apps/shop/features", url.Values{"eventLoggingRetentionPeriod": {"90"}, "magicLinks": {"off"}}, http.StatusSeeOther)
		// A save that changes nothing logs nothing.
		e.post(ck, csrf, "/console/apps/shop/features", url.Values{"eventLoggingRetentionPeriod": {"90"}}, http.StatusSeeOther)

		got := e.storedEvents("shop")
		for _, want := range []string{
			"AdminApiKeyCreated by Ada: Created secret key " + keyID[1],
			"AdminApiKeyLocked by Ada:",
			"AdminApiKeyDeleted by Ada: Deleted key " + keyID[1],
			"ApiUserDeleteCredential by Ada:",
			"ApiUserDeleted by Ada: Deleted user u2",
			"AdminFeaturesChanged by Ada: Ada changed the features: event log retention (days) 30 -> 90",
			"AdminMagicLinksDisabled by Ada:",
		} {
			if !hasEvent(got, want) {
				t.Errorf("no event %q in\n%s", want, strings.Join(got, "\n"))
			}
		}
		if n := strings.Count(strings.Join(got, "\n"), "AdminFeaturesChanged"); n != 1 {
			t.Errorf("%d feature change events, want 1", n)
		}
		page := e.do("GET", "/console/apps/shop/events", nil, nil, ck).body
		for _, want := range []string{"AdminFeaturesChanged", "AdminApiKeyDeleted", "ApiUserDeleted", "<td>Ada</td>"} {
			if !strings.Contains(page, want) {
				t.Errorf("the events page does not show %s", want)
			}
		}
	})
}

// Invitations, enrolments and removals of administrators are in the
// console app's log and on the Administrators page.
func TestAdministratorChangesAreLogged(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		inv := e.post(ck, csrf, "/console/admins/invite", url.Values{}, 200)
		link := regexp.MustCompile(`invite\?token=([^"<\s]+)`).FindStringSubmatch(inv.body)
		tok, _ := url.QueryUnescape(strings.ReplaceAll(link[1], "&#43;", "+"))
		if r := e.enrol(softauthn.New(), tok, "Bea", nil); r.status != http.StatusSeeOther {
			t.Fatalf("Bea's enrolment: %d %s", r.status, r.body)
		}
		admins, _ := e.console.admins(context.Background())
		bea := ""
		for _, a := range admins {
			if a.Name == "Bea" {
				bea = a.UserID
			}
		}
		e.post(ck, csrf, "/console/admins/delete", url.Values{"userId": {bea}}, http.StatusSeeOther)
		got := e.storedEvents(ConsoleAppID)
		for _, want := range []string{
			"AdminAcceptedInvite by Ada: Ada enrolled with the server's setup link",
			"AdminSendAdminInvite by Ada: Ada created an invitation",
			"AdminAcceptedInvite by Bea: Bea accepted an invitation from Ada",
			"AdminDeleteAdmin by Ada: Ada removed the administrator Bea",
		} {
			if !hasEvent(got, want) {
				t.Errorf("no event %q in\n%s", want, strings.Join(got, "\n"))
			}
		}
		page := e.do("GET", "/console/admins", nil, nil, ck).body
		for _, want := range []string{"Ada removed the administrator Bea", "Bea accepted an invitation from Ada"} {
			if !strings.Contains(page, want) {
				t.Errorf("the Administrators page does not show %q", want)
			}
		}
	})
}
