package console

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/aaguid"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

// testProvider is the one authenticator the console tests can name.
var testProvider = uuid.MustParse("6f1c2a0e-3b7d-4c55-9e21-8a4f0d9b7c31")

const testProviderIcon = "data:image/svg+xml;base64,PHN2Zy8+"

// testAuthenticators loads a list file of one made-up provider, as the
// server does with PASSWORDLESS_AAGUID_FILE. Its name needs HTML escaping.
func testAuthenticators(t *testing.T) *aaguid.Directory {
	t.Helper()
	path := filepath.Join(t.TempDir(), "aaguid.json")
	list := `{"` + testProvider.String() + `":{"name":"Example <Passkey> Provider","icon_light":"` + testProviderIcon + `"}}`
	if err := os.WriteFile(path, []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	w := aaguid.NewWatcher(path, nil)
	if _, err := w.Check(); err != nil {
		t.Fatal(err)
	}
	return aaguid.NewDirectory(w.Current, nil)
}

// addUserWith registers a user with a passkey of authenticator a.
func (e *env) addUserWith(appID, userID string, a *softauthn.Authenticator) {
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
	e.registerWith(a, key, tok.Token)
}

func TestPasskeysAndEventsNameTheirAuthenticator(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		e.post(ck, csrf, "/console/apps", url.Values{"id": {"shop"}, "eventLogging": {"on"}}, 200)
		known := softauthn.New()
		known.AAGUID = testProvider
		e.addUserWith("shop", "u1", known)
		e.addUser("shop", "u2") // zero AAGUID: nothing to name

		page := e.do("GET", "/console/apps/shop/user?id=u1", nil, nil, ck).body
		for _, want := range []string{"Example &lt;Passkey&gt; Provider", `<img src="data:image/svg&#43;xml;base64,PHN2Zy8&#43;"`, testProvider.String()} {
			if !strings.Contains(page, want) {
				t.Errorf("u1's page lacks %q:\n%s", want, page)
			}
		}
		if page := e.do("GET", "/console/apps/shop/user?id=u2", nil, nil, ck).body; strings.Contains(page, "Example &lt;Passkey&gt; Provider") || strings.Contains(page, "<img") {
			t.Errorf("a passkey with the zero AAGUID was named:\n%s", page)
		}

		events := e.do("GET", "/console/apps/shop/events?type=ApiAuthPasskeyRegistrationCompleted", nil, nil, ck).body
		if !strings.Contains(events, `<span class="authenticator" title="`+testProvider.String()+`">Example &lt;Passkey&gt; Provider</span>`) {
			t.Errorf("the event log does not name the authenticator:\n%s", events)
		}
	})
}

func TestMessageParts(t *testing.T) {
	c := &Console{cfg: Config{Authenticators: aaguid.NewDirectory(func() *aaguid.List {
		l, _ := aaguid.Parse([]byte(`{"` + testProvider.String() + `":{"name":"Acme"}}`))
		return l
	}, nil)}}
	unknown := "99999999-9999-4999-8999-999999999999"
	parts := c.messageParts("Added authenticators to the allowlist: " + testProvider.String() + ", " + unknown)
	want := []messagePart{
		{Text: "Added authenticators to the allowlist: "},
		{Text: testProvider.String(), AAGUID: true, Provider: "Acme"},
		{Text: ", " + unknown},
	}
	if len(parts) != len(want) {
		t.Fatalf("parts = %+v", parts)
	}
	for i := range want {
		if parts[i] != want[i] {
			t.Errorf("part %d = %+v, want %+v", i, parts[i], want[i])
		}
	}
	if parts := (&Console{}).messageParts("plain"); len(parts) != 1 || parts[0].Text != "plain" {
		t.Errorf("without a directory: %+v", parts)
	}
}
