package multiinstance_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/postgres/pgtest"
)

// The console runs at the same origin the ceremonies of these tests use.
var consoleEnv = map[string]string{"PASSWORDLESS_CONSOLE_URL": origin}

// TestConsoleSignout signs an administrator in to the console of one
// server process and out again, and checks that the signed-out cookie is
// refused by a second process on the same PostgreSQL database, and by a
// SQLite server restarted on the same file, while a session that was not
// signed out keeps working on both.
func TestConsoleSignout(t *testing.T) {
	bin := buildBinary(t)

	t.Run("PostgresTwoInstances", func(t *testing.T) {
		db := pgtestDB(t)
		a := startInstance(t, bin, "A", db, consoleEnv)
		b := startInstance(t, bin, "B", db, consoleEnv)
		auth := softauthn.New()
		signedOut := enrolAdmin(t, a, auth)
		kept := consoleSignin(t, b, auth)
		for _, in := range []*instance{a, b} {
			for _, ck := range []*http.Cookie{signedOut, kept} {
				if !consoleSignedIn(t, in, ck) {
					t.Fatalf("a fresh session is refused by %s", in.name)
				}
			}
		}
		consoleSignout(t, a, signedOut)
		for _, in := range []*instance{b, a} {
			if consoleSignedIn(t, in, signedOut) {
				t.Errorf("%s accepts the cookie signed out on A", in.name)
			}
			if !consoleSignedIn(t, in, kept) {
				t.Errorf("%s refuses the session that was not signed out", in.name)
			}
		}
		// Sign out on B ends the session on A too.
		consoleSignout(t, b, kept)
		if consoleSignedIn(t, a, kept) {
			t.Error("A accepts the cookie signed out on B")
		}
	})

	t.Run("SQLiteRestart", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "console.db")
		s1 := startInstance(t, bin, "S1", db, consoleEnv)
		auth := softauthn.New()
		signedOut := enrolAdmin(t, s1, auth)
		kept := consoleSignin(t, s1, auth)
		consoleSignout(t, s1, signedOut)
		s1.stop(t)
		s2 := startInstance(t, bin, "S2", db, consoleEnv)
		if consoleSignedIn(t, s2, signedOut) {
			t.Error("after a restart the signed-out cookie is accepted")
		}
		if !consoleSignedIn(t, s2, kept) {
			t.Error("after a restart the session that was not signed out is refused")
		}
	})
}

// pgtestDB creates a database on the test server (skipping t without
// one).
func pgtestDB(t *testing.T) string {
	t.Helper()
	return pgtest.Connect(t).CreateDB(t)
}

var (
	setupLink  = regexp.MustCompile(`/console/setup\?token=(setup_[0-9a-f]+)`)
	apiKeyAttr = regexp.MustCompile(`data-api-key="([^"]+)"`)
	csrfField  = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)
)

// consoleDo sends a console request from the console's origin without
// following redirects. body is url.Values (a form), nil, or JSON.
func consoleDo(t *testing.T, in *instance, method, path string, body any, ck *http.Cookie) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, _ := json.Marshal(b)
		rd, ct = strings.NewReader(string(j)), "application/json"
	}
	req, err := http.NewRequest(method, in.baseURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if ck != nil {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	client := &http.Client{Transport: in.client.Transport, Timeout: in.client.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, in.name, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// sessionCookie returns the console's session cookie a response sets.
func sessionCookie(t *testing.T, res *http.Response, body string) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == "pwl_console" && c.MaxAge > 0 {
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d with a session cookie", res.StatusCode)
			}
			return c
		}
	}
	t.Fatalf("no session cookie: %d %s", res.StatusCode, body)
	return nil
}

// enrolAdmin registers the first administrator with the setup link in's
// log printed, as the enrolment page's script does, and returns the
// session cookie.
func enrolAdmin(t *testing.T, in *instance, auth *softauthn.Authenticator) *http.Cookie {
	t.Helper()
	log, err := os.ReadFile(in.logFile)
	if err != nil {
		t.Fatal(err)
	}
	m := setupLink.FindSubmatch(log)
	if m == nil {
		t.Fatalf("%s printed no setup link", in.name)
	}
	secret := string(m[1])
	_, page := consoleDo(t, in, "GET", "/console/setup?token="+secret, nil, nil)
	key := apiKeyAttr.FindStringSubmatch(page)
	if key == nil {
		t.Fatalf("no console key on the setup page: %s", page)
	}
	res, body := consoleDo(t, in, "POST", "/console/enrol/begin", map[string]string{"token": secret, "name": "Ada"}, nil)
	var begun struct{ RegisterToken, Pending string }
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &begun) != nil {
		t.Fatalf("enrol begin: %d %s", res.StatusCode, body)
	}
	consoleApp := app{apiKey: key[1]}
	var begin beginResponse
	in.do(t, "POST", "/register/begin", public(consoleApp), clientBody(map[string]any{"token": begun.RegisterToken})).want(t, 200).decode(t, &begin)
	verify := completeRegistration(t, in, consoleApp, auth, begin)
	res, body = consoleDo(t, in, "POST", "/console/enrol/finish", url.Values{"pending": {begun.Pending}, "token": {verify}}, nil)
	return sessionCookie(t, res, body)
}

// consoleSignin signs the administrator of auth in to in's console.
func consoleSignin(t *testing.T, in *instance, auth *softauthn.Authenticator) *http.Cookie {
	t.Helper()
	_, page := consoleDo(t, in, "GET", "/console/signin", nil, nil)
	key := apiKeyAttr.FindStringSubmatch(page)
	if key == nil {
		t.Fatalf("no console key on the sign-in page: %s", page)
	}
	tok := in.token(t, "/signin/complete", public(app{apiKey: key[1]}), signinBody(t, in, app{apiKey: key[1]}, auth, map[string]any{}))
	res, body := consoleDo(t, in, "POST", "/console/signin", url.Values{"token": {tok}}, nil)
	return sessionCookie(t, res, body)
}

// consoleSignedIn reports whether in's console accepts the cookie.
func consoleSignedIn(t *testing.T, in *instance, ck *http.Cookie) bool {
	t.Helper()
	res, body := consoleDo(t, in, "GET", "/console/apps", nil, ck)
	switch {
	case res.StatusCode == http.StatusOK && strings.Contains(body, "Applications"):
		return true
	case res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/console/signin"):
		return false
	}
	t.Fatalf("%s: console page with a cookie: %d %s", in.name, res.StatusCode, body)
	return false
}

// consoleSignout signs the session of ck out on in.
func consoleSignout(t *testing.T, in *instance, ck *http.Cookie) {
	t.Helper()
	_, page := consoleDo(t, in, "GET", "/console/apps", nil, ck)
	csrf := csrfField.FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("%s: no CSRF token on the page: %s", in.name, page)
	}
	res, body := consoleDo(t, in, "POST", "/console/signout", url.Values{"csrf": {csrf[1]}}, ck)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("%s: sign-out: %d %s", in.name, res.StatusCode, body)
	}
}
