package console

import (
	"errors"
	"html"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/passwordless-oss/server/demo"
)

// EnvSetting is a setting read only from the environment (it has no flag).
type EnvSetting struct {
	Name, Default, Meaning string
}

// Environment lists the console's settings, all read only from the
// environment; `passwordless serve --help` prints them.
var Environment = []EnvSetting{
	{"PASSWORDLESS_CONSOLE", "true", "serve the admin console and demo under /console; false turns them off"},
	{"PASSWORDLESS_CONSOLE_URL", "none", "external base URL of the server (e.g. https://passkeys.example.com) for the console's setup and invitation links; when set, administrators can sign in only from that origin"},
	{"PASSWORDLESS_DEMO_CLIENT_URL", "the pinned jsDelivr URL", "where the demo page loads the official browser client from: a self-hosted copy of @passwordlessdev/passwordless-client " + demo.ClientVersion + "'s dist/umd/passwordless.umd.min.js, as an http(s):// URL or a path on this server, for browsers without internet access"},
	{"PASSWORDLESS_DEMO_CLIENT_INTEGRITY", "none", "the subresource-integrity hash (sha384-…) of the PASSWORDLESS_DEMO_CLIENT_URL copy, which the browser checks"},
}

// DemoClient is where the demo page loads the official browser client
// from, and the integrity hash the browser checks it against ("" for
// none).
type DemoClient struct {
	URL       string
	Integrity string
}

// defaultDemoClient is the pinned copy on the public CDN.
var defaultDemoClient = DemoClient{URL: demo.ClientScriptURL, Integrity: demo.ClientIntegrity}

var integrityPattern = regexp.MustCompile(`^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$`)

// DemoClientSettings reads PASSWORDLESS_DEMO_CLIENT_URL and
// PASSWORDLESS_DEMO_CLIENT_INTEGRITY; without them the demo loads the
// pinned client from jsDelivr.
func DemoClientSettings(getenv func(string) string) (DemoClient, error) {
	raw := strings.TrimSpace(getenv("PASSWORDLESS_DEMO_CLIENT_URL"))
	integrity := strings.TrimSpace(getenv("PASSWORDLESS_DEMO_CLIENT_INTEGRITY"))
	if raw == "" {
		if integrity != "" {
			return DemoClient{}, errors.New("PASSWORDLESS_DEMO_CLIENT_INTEGRITY is set but PASSWORDLESS_DEMO_CLIENT_URL is not")
		}
		return defaultDemoClient, nil
	}
	u, err := url.Parse(raw)
	absolute := err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
	onThisServer := err == nil && u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/")
	if (!absolute && !onThisServer) || strings.ContainsAny(raw, "\"'<> ;") {
		return DemoClient{}, errors.New("PASSWORDLESS_DEMO_CLIENT_URL: expected an http(s):// URL or a path on this server such as /assets/passwordless.umd.min.js")
	}
	if integrity != "" && !integrityPattern.MatchString(integrity) {
		return DemoClient{}, errors.New("PASSWORDLESS_DEMO_CLIENT_INTEGRITY: expected a subresource-integrity hash such as sha384-<base64>")
	}
	return DemoClient{URL: raw, Integrity: integrity}, nil
}

// scriptSource is the Content-Security-Policy source that allows the
// client's script; a path on this server is covered by 'self'.
func (d DemoClient) scriptSource() []string {
	if strings.HasPrefix(d.URL, "/") {
		return nil
	}
	return []string{d.URL}
}

// demoIndex returns the demo page with its script tag pointing at d.
// The embedded page names the pinned CDN copy; another copy replaces the
// tag's address, and its integrity hash (which also needs a CORS request,
// hence crossorigin) only when one is given.
func demoIndex(d DemoClient) ([]byte, error) {
	page, err := fs.ReadFile(demo.Files, "index.html")
	if err != nil {
		return nil, err
	}
	if d == defaultDemoClient {
		return page, nil
	}
	pinned := `src="` + defaultDemoClient.URL + `" integrity="` + defaultDemoClient.Integrity + `" crossorigin="anonymous"`
	replacement := `src="` + html.EscapeString(d.URL) + `"`
	if d.Integrity != "" {
		replacement += ` integrity="` + d.Integrity + `" crossorigin="anonymous"`
	}
	if !strings.Contains(string(page), pinned) {
		return nil, errors.New("the demo page does not name the pinned client")
	}
	return []byte(strings.Replace(string(page), pinned, replacement, 1)), nil
}

// BrowserURL is the URL a browser on this machine reaches a server
// listening on addr at. WebAuthn needs a domain name, so loopback and
// wildcard addresses are written as localhost (a secure context without
// TLS); other addresses are kept.
func BrowserURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// addressProblem explains, for a request whose Host is an IP address,
// why passkeys cannot work there (a WebAuthn relying party ID is a domain
// name), and gives the localhost URL of the same page. It is empty for a
// domain name, and when a console URL is configured (then the Host may be
// a proxy's upstream address).
type addressProblem struct {
	Message string
	URL     string
}

func (c *Console) addressProblem(r *http.Request) *addressProblem {
	if c.public != nil {
		return nil
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, ""
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil {
		return nil
	}
	local := "http://localhost"
	if port != "" {
		local += ":" + port
	}
	p := &addressProblem{URL: local + r.URL.RequestURI()}
	p.Message = "This page was opened at the IP address " + ip.String() + ". Passkeys (WebAuthn) need a domain name, so signing in, enrolling and the demo cannot work here."
	if !ip.IsLoopback() && !ip.IsUnspecified() {
		p.Message += " From another machine, reach the server by a domain name (and set PASSWORDLESS_CONSOLE_URL to it); on the server's own machine, use localhost:"
	} else {
		p.Message += " Use localhost instead:"
	}
	return p
}
