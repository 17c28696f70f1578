package httpapi_test

// The contract tests hold api/openapi.json to the server: its operations
// are exactly the route table, and every request and response of a run
// through every route (successes and the typical errors) validates
// against it.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	pathpkg "path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/passwordless-oss/server/api"
	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/mail/mailtest"
	"github.com/passwordless-oss/server/internal/mds/mdstest"
	"github.com/passwordless-oss/server/internal/ratelimit"
	"github.com/passwordless-oss/server/internal/softauthn"
)

// loadDocument parses and validates the embedded document.
func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("load api/openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("api/openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// documented returns every operation of the document as "METHOD /path".
func documented(doc *openapi3.T) []string {
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadDocument(t)
	routes := httpapi.Endpoints(httpapi.New(httpapi.Config{}))
	slices.Sort(routes)
	ops := documented(doc)
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			t.Errorf("route %s is not in api/openapi.json", r)
		}
	}
	for _, op := range ops {
		if !slices.Contains(routes, op) {
			t.Errorf("api/openapi.json documents %s, which the server does not route", op)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		r := e.do("GET", "/openapi.json", http.Header{"Origin": {"https://example.com"}}, nil).want(200)
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Error("no Access-Control-Allow-Origin")
		}
		if !bytes.Equal(r.body, api.OpenAPI) {
			t.Error("GET /openapi.json is not the embedded document")
		}
	})
}

// contract validates exchanges against the document.
type contract struct {
	t   *testing.T
	doc *openapi3.T
	// mux holds the documented operations, to find an exchange's.
	mux *http.ServeMux
	// lax is set while deliberately invalid requests are sent: their
	// responses are still validated, the requests are not.
	lax bool
	// statuses seen per "METHOD /path" operation.
	seen map[string][]int
}

func contractFor(doc *openapi3.T) *contract {
	c := &contract{doc: doc, mux: http.NewServeMux(), seen: map[string][]int{}}
	for _, op := range documented(doc) {
		c.mux.HandleFunc(op, func(http.ResponseWriter, *http.Request) {})
	}
	return c
}

func newContract(t *testing.T) *contract {
	c := contractFor(loadDocument(t))
	c.t = t
	return c
}

// operation returns the documented operation of a "METHOD /path" route,
// or nil (TestOpenAPIDocumentsEveryRoute reports those).
func (c *contract) operation(route string) *openapi3.Operation {
	method, path, _ := strings.Cut(route, " ")
	if item := c.doc.Paths.Value(path); item != nil {
		return item.GetOperation(method)
	}
	return nil
}

// route returns the documented operation a request names, or nil.
func (c *contract) route(req *http.Request) *routers.Route {
	if p := req.URL.Path; pathpkg.Clean(p) != p && pathpkg.Clean(p)+"/" != p {
		return nil // the server names no route by an uncleaned path
	}
	_, pattern := c.mux.Handler(req)
	method, path, _ := strings.Cut(pattern, " ")
	if method != req.Method { // no operation, or a HEAD matched to a GET
		return nil
	}
	item := c.doc.Paths.Value(path)
	return &routers.Route{Spec: c.doc, Path: path, PathItem: item, Method: method, Operation: item.GetOperation(method)}
}

// watch checks e's requests from now on, and records which operations
// answered with which status. (env.do validates every response.)
func (c *contract) watch(e *env) {
	e.client = &http.Client{Transport: &recordingTransport{c: c, base: e.client.Transport}}
}

// invalid sends deliberately invalid requests: only the responses are
// validated.
func (c *contract) invalid(f func()) {
	c.lax = true
	defer func() { c.lax = false }()
	f()
}

type recordingTransport struct {
	c    *contract
	base http.RoundTripper
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := rt.c
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	route := c.route(req)
	if route == nil {
		c.t.Errorf("%s %s: no documented operation", req.Method, req.URL.RequestURI())
	} else if !c.lax {
		if err := openapi3filter.ValidateRequest(context.Background(), requestInput(route, req, body)); err != nil {
			c.t.Errorf("%s %s: the request does not match the document: %v", req.Method, req.URL.RequestURI(), err)
		}
	}
	res, err := rt.base.RoundTrip(req)
	if err == nil && route != nil {
		op := route.Method + " " + route.Path
		c.seen[op] = append(c.seen[op], res.StatusCode)
	}
	return res, err
}

func requestInput(route *routers.Route, req *http.Request, body []byte) *openapi3filter.RequestValidationInput {
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathParams(route.Path, req.URL.Path),
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
}

// pathParams reads the values of a path template's {parameters}.
func pathParams(template, path string) map[string]string {
	params := map[string]string{}
	segs := strings.Split(path, "/")
	for i, s := range strings.Split(template, "/") {
		if strings.HasPrefix(s, "{") && i < len(segs) {
			params[strings.Trim(s, "{}")] = segs[i]
		}
	}
	return params
}

// sharedDocument is the document as every test's env.do validates
// responses against it; it is loaded once per test binary.
var sharedDocument = sync.OnceValues(func() (*contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		return nil, err
	}
	return contractFor(doc), nil
})

// checkResponse validates a response recorded by any test against the
// document, if the request names a documented operation (tests also
// probe unknown paths and methods). Only the response is validated: tests
// send malformed requests on purpose.
func checkResponse(t *testing.T, req *http.Request, res *http.Response, body []byte) {
	t.Helper()
	c, err := sharedDocument()
	if err != nil {
		t.Fatalf("load api/openapi.json: %v", err)
	}
	route := c.route(req)
	if route == nil {
		return
	}
	name := fmt.Sprintf("%s %s → %d", req.Method, req.URL.RequestURI(), res.StatusCode)
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: requestInput(route, req, nil),
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s: the response does not match the document: %v\nbody: %s", name, err, short(body, 500))
		return
	}
	// The validator does not look at bodies the document declares none for.
	if doc := route.Operation.Responses.Status(res.StatusCode); doc != nil && len(doc.Value.Content) == 0 && len(body) > 0 {
		t.Errorf("%s: the document declares no body, the server sent %s", name, short(body, 200))
	}
}

// wantCovered fails for every routed operation that was not answered
// both with a success and, if the document says it can fail, with an
// error (the test hook only fails).
func (c *contract) wantCovered() {
	c.t.Helper()
	for _, op := range httpapi.Endpoints(httpapi.New(httpapi.Config{})) {
		doc := c.operation(op)
		if doc == nil {
			continue
		}
		canFail := false
		for status := range doc.Responses.Map() {
			canFail = canFail || status >= "4"
		}
		statuses := c.seen[op]
		ok := slices.ContainsFunc(statuses, func(s int) bool { return s < 300 })
		failed := slices.ContainsFunc(statuses, func(s int) bool { return s >= 400 })
		switch {
		case len(statuses) == 0:
			c.t.Errorf("%s was never exercised", op)
		case !ok && op != "GET /health/throw/api":
			c.t.Errorf("%s never succeeded (statuses %v)", op, statuses)
		case canFail && !failed:
			c.t.Errorf("%s never failed (statuses %v)", op, statuses)
		}
	}
}

// TestOpenAPIContract drives every route through its successes and
// typical errors and validates each exchange against the document.
func TestOpenAPIContract(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		c := newContract(t)
		smtp := mailtest.NewServer(t)
		// Every management route answers a request without its key, more
		// than the default limit of failures allows.
		failures := withConfig(func(cfg *httpapi.Config) { cfg.ManagementFailures = ratelimit.NewSliding(1000, time.Minute, nil) })
		e := newEnv(t, on, withMagicLinks(t, smtp, magiclink.Config{}), failures)
		c.watch(e)
		mgmtApp := "/admin/apps/" + e.appID

		// Anonymous.
		e.do("GET", "/health/http", nil, nil).want(200)
		e.do("GET", "/health/storage", nil, nil).want(200)
		e.do("GET", "/health/version", nil, nil).want(200)
		e.do("GET", "/health/throw/api", nil, nil).wantProblem(400, map[string]any{"errorCode": "test_error"})
		e.do("GET", "/openapi.json", nil, nil).want(200)

		// Every authenticated route refuses a request without its key.
		for _, op := range httpapi.Endpoints(httpapi.New(httpapi.Config{})) {
			doc := c.operation(op)
			if doc == nil || doc.Security == nil || len(*doc.Security) == 0 {
				continue
			}
			method, path, _ := strings.Cut(op, " ")
			path = strings.NewReplacer("{appId}", e.appID, "{keyId}", "zzzz").Replace(path)
			c.invalid(func() { e.do(method, path, nil, nil).wantProblem(401, nil) })
		}

		// Features the rest needs; events are read before logging is on.
		e.do("GET", "/events?pageNumber=1", e.secret(), nil).wantProblem(403, nil)
		e.do("GET", "/authenticators/list?isAllowed=true", e.secret(), nil).wantProblem(403, map[string]any{"errorCode": "attestation_not_supported_on_plan"})
		features := `{"eventLoggingIsEnabled":true,"eventLoggingRetentionPeriod":30,"magicLinkEmailMonthlyQuota":100,"allowAttestation":true}`
		e.do("POST", mgmtApp+"/features", mgmt(), features).want(204)
		e.do("GET", mgmtApp+"/features", mgmt(), nil).want(200)
		e.do("GET", "/admin/apps/nosuchapp/features", mgmt(), nil).wantProblem(400, map[string]any{"errorCode": "app_not_found"})
		c.invalid(func() {
			e.do("POST", mgmtApp+"/features", mgmt(), `{"eventLoggingRetentionPeriod":366}`).wantProblem(400, nil)
			e.do("POST", mgmtApp+"/features", mgmt(), "null").wantProblem(400, nil)
		})

		// Registration and sign-in.
		a := softauthn.New()
		verify, _ := e.register(a, map[string]any{"userId": "u1", "username": "alice", "aliases": []string{"alice@example.com"}, "aliasHashing": false})
		e.verify(verify)
		e.do("POST", "/signin/verify", e.secret(), map[string]any{"token": verify}).wantProblem(400, map[string]any{"errorCode": "invalid_token"})
		tok := e.token("/signin/complete", e.public(), e.signinBody(a, map[string]any{"userId": "u1"}))
		e.verify(tok)
		e.token("/signin/complete", e.public(), e.signinBody(a, map[string]any{"alias": "alice@example.com", "purpose": "sign-in"}))

		e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": "register_!!"})).wantProblem(400, map[string]any{"errorCode": "invalid_token_format"})
		expired := e.token("/register/token", e.secret(), map[string]any{"userId": "u2", "username": "bob", "expiresAt": "2000-01-01T00:00:00Z"})
		e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": expired})).wantProblem(403, map[string]any{"errorCode": "expired_token"})
		c.invalid(func() {
			fresh := e.token("/register/token", e.secret(), map[string]any{"userId": "u2", "username": "bob"})
			e.do("POST", "/register/begin", e.public(), map[string]any{"token": fresh}).wantProblem(400, map[string]any{"title": "Origin is required."})
			e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u2"}).wantProblem(400, nil)
			e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u2", "username": "bob", "attestation": "enterprise"}).
				wantProblem(400, map[string]any{"errorCode": "invalid_attestation"})
			e.do("POST", "/register/token", http.Header{"ApiSecret": e.secret()["ApiSecret"], "Content-Type": {"text/plain"}}, `{"userId":"u2"}`).wantProblem(415, nil)
			e.do("POST", "/register/token", e.secret(), bytes.Repeat([]byte(" "), 1<<20+1)).wantProblem(413, nil)
		})
		e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u2", "username": "bob", "aliases": []string{"alice@example.com"}}).
			wantProblem(409, map[string]any{"errorCode": "alias_conflict"})

		// An alias taken between the token and the completion: 409 there.
		regToken := e.token("/register/token", e.secret(), map[string]any{"userId": "u3", "username": "carol", "aliases": []string{"carol@example.com"}})
		var begin beginResponse
		e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": regToken})).want(200).decode(&begin)
		e.do("POST", "/alias", e.secret(), map[string]any{"userId": "u4", "aliases": []string{"carol@example.com"}}).want(204)
		resp, _, err := softauthn.New().Create(begin.Data, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		e.do("POST", "/register/complete", e.public(), clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)})).
			wantProblem(409, map[string]any{"errorCode": "alias_conflict"})
		e.do("POST", "/register/complete", e.public(), clientBody(map[string]any{"session": "session_x", "response": json.RawMessage(resp)})).wantProblem(400, nil)

		// A passkey the app does not know.
		body := e.signinBody(a, map[string]any{})
		var cred map[string]any
		if err := json.Unmarshal(body["response"].(json.RawMessage), &cred); err != nil {
			t.Fatal(err)
		}
		cred["id"], cred["rawId"] = "AAECAwQFBgcICQ", "AAECAwQFBgcICQ"
		body["response"] = cred
		e.do("POST", "/signin/complete", e.public(), body).wantProblem(400, map[string]any{"errorCode": "unknown_credential", "credentialId": "AAECAwQFBgcICQ"})
		c.invalid(func() {
			e.do("POST", "/signin/begin", e.public(), map[string]any{"userId": "u1"}).wantProblem(400, nil)
		})

		// Keys without the endpoint's scope.
		regOnlyPub := e.do("POST", mgmtApp+"/public-keys", mgmt(), `{"scopes":[0]}`).want(200).json()["apiKey"].(string)
		regOnlySec := e.do("POST", mgmtApp+"/secret-keys", mgmt(), `{"scopes":[0]}`).want(200).json()["apiKey"].(string)
		e.do("POST", "/signin/begin", http.Header{"ApiKey": {regOnlyPub}}, clientBody(nil)).wantProblem(403, nil)
		e.do("POST", "/signin/verify", http.Header{"ApiSecret": {regOnlySec}}, map[string]any{"token": tok}).wantProblem(403, nil)

		// Generated tokens, and their expiry.
		gen := e.token("/signin/generate-token", e.secret(), map[string]any{"userId": "u1", "timeToLive": 1})
		e.clock.Advance(2 * time.Second)
		e.do("POST", "/signin/verify", e.secret(), map[string]any{"token": gen}).wantProblem(403, map[string]any{"errorCode": "expired_token"})
		c.invalid(func() {
			e.do("POST", "/signin/verify", e.secret(), map[string]any{}).wantProblem(400, map[string]any{"errorCode": "missing_token"})
			e.do("POST", "/signin/generate-token", e.secret(), map[string]any{"userId": "u1", "timeToLive": 0}).wantProblem(400, nil)
		})
		e.do("POST", "/apps/features", e.secret(), map[string]any{"enableManuallyGeneratedAuthenticationTokens": false, "performedBy": "admin"}).want(204)
		e.do("POST", "/signin/generate-token", e.secret(), map[string]any{"userId": "u1"}).wantProblem(403, nil)
		e.do("POST", "/apps/features", e.secret(), map[string]any{"enableManuallyGeneratedAuthenticationTokens": true}).want(204)
		c.invalid(func() {
			e.do("POST", "/apps/features", e.secret(), map[string]any{"eventLoggingRetentionPeriod": 366}).wantProblem(400, nil)
		})

		// Users, aliases and passkeys.
		e.do("POST", "/alias", e.secret(), map[string]any{"userId": "u1", "aliases": []string{"a1", "a2"}, "hashing": true}).want(204)
		e.do("POST", "/alias", e.secret(), map[string]any{"userId": "u5", "aliases": []string{"a1"}}).wantProblem(409, map[string]any{"errorCode": "alias_conflict"})
		e.do("GET", "/alias/list?userId=u1", e.secret(), nil).want(200)
		e.do("GET", "/alias/list?userId=u4", e.secret(), nil).want(200)
		e.do("GET", "/alias/list?userId=", e.secret(), nil).wantProblem(400, map[string]any{"errorCode": nil})
		creds := e.do("GET", "/credentials/list?userId=u1", e.secret(), nil).want(200).json()["values"].([]any)
		e.do("POST", "/credentials/list", e.secret(), map[string]any{"userId": "nobody"}).want(200)
		e.do("GET", "/users/list", e.secret(), nil).want(200)
		e.do("GET", "/users/count", e.secret(), nil).want(200)
		c.invalid(func() {
			e.do("POST", "/alias", e.secret(), map[string]any{"userId": "u1", "aliases": []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}}).wantProblem(400, nil)
			e.do("GET", "/alias/list", e.secret(), nil).wantProblem(400, nil)
			e.do("GET", "/credentials/list", e.secret(), nil).wantProblem(400, nil)
			e.do("POST", "/credentials/list", e.secret(), map[string]any{}).wantProblem(400, nil)
			e.do("POST", "/credentials/delete", e.secret(), map[string]any{"credentialId": ""}).wantProblem(400, nil)
			e.do("POST", "/users/delete", e.secret(), map[string]any{}).wantProblem(400, nil)
		})
		id := creds[0].(map[string]any)["descriptor"].(map[string]any)["id"].(string)
		e.do("POST", "/credentials/delete", e.secret(), map[string]any{"credentialId": id}).want(204)
		e.do("POST", "/users/delete", e.secret(), map[string]any{"userId": "u1"}).want(200)

		// Sign-in purposes.
		e.do("GET", "/auth-configs/list", e.secret(), nil).want(200)
		e.do("GET", "/auth-configs/list?purpose=sign-in", e.secret(), nil).want(200)
		cfg := map[string]any{"purpose": "checkout", "userVerificationRequirement": "required", "timeToLive": "00:03:00", "hints": []string{"security-key"}, "performedBy": "admin"}
		e.do("POST", "/auth-configs/add", e.secret(), cfg).want(201)
		e.do("POST", "/auth-configs/add", e.secret(), cfg).wantProblem(400, nil)
		cfg["timeToLive"] = 300
		e.do("POST", "/auth-configs", e.secret(), cfg).want(204)
		e.do("GET", "/auth-configs/list?purpose=checkout", e.secret(), nil).want(200)
		e.do("POST", "/auth-configs", e.secret(), map[string]any{"purpose": "nothing", "performedBy": "admin"}).wantProblem(404, nil)
		e.do("POST", "/auth-configs/delete", e.secret(), map[string]any{"purpose": "checkout", "performedBy": "admin"}).want(204)
		e.do("POST", "/auth-configs/delete", e.secret(), map[string]any{"purpose": "checkout", "performedBy": "admin"}).wantProblem(404, nil)
		e.do("POST", "/auth-configs/delete", e.secret(), map[string]any{"purpose": "sign-in", "performedBy": "admin"}).wantProblem(400, nil)
		c.invalid(func() {
			e.do("POST", "/auth-configs/add", e.secret(), map[string]any{"purpose": "a b", "performedBy": "admin"}).wantProblem(400, nil)
		})

		// Events and reports.
		e.do("GET", "/events?pageNumber=1&numberOfResults=10", e.secret(), nil).want(200)
		c.invalid(func() {
			e.do("GET", "/events", e.secret(), nil).wantProblem(400, nil)
			e.do("GET", "/events?pageNumber=0", e.secret(), nil).wantProblem(400, nil)
		})
		for _, report := range []string{"/reporting/credentials/periodic", "/reporting/active-users/periodic"} {
			e.do("GET", report, e.secret(), nil).want(200)
			e.do("GET", report+"?from=2024-01-01&to=2099-12-31", e.secret(), nil).want(200)
			c.invalid(func() { e.do("GET", report+"?from=yesterday", e.secret(), nil).wantProblem(400, nil) })
		}

		// Magic links.
		link := map[string]any{"emailAddress": "admin@example.com", "urlTemplate": "https://example.com/login?token=$TOKEN", "userId": "u-magic", "timeToLive": 600}
		e.do("POST", "/magic-links/send", e.secret(), link).want(204)
		e.do("POST", "/magic-links/send", e.secret(), map[string]any{"emailAddress": "admin@example.com", "urlTemplate": "https://example.com/", "userId": "u"}).wantProblem(400, nil)
		e.do("POST", mgmtApp+"/features", mgmt(), strings.Replace(features, `"magicLinkEmailMonthlyQuota":100`, `"magicLinkEmailMonthlyQuota":1`, 1)).want(204)
		e.do("POST", "/magic-links/send", e.secret(), link).wantProblem(429, map[string]any{"errorCode": "magic_link_email_quota_exceeded"})
		e.do("POST", "/apps/features", e.secret(), map[string]any{"enableMagicLinks": false}).want(204)
		e.do("POST", "/magic-links/send", e.secret(), link).wantProblem(403, nil)

		// Authenticator lists.
		e.do("POST", "/authenticators/add", e.secret(), map[string]any{"aaGuids": []string{mdstest.Certified.String()}, "isAllowed": true}).want(204)
		e.do("POST", "/authenticators/add", e.secret(), map[string]any{"aaGuids": []string{mdstest.Unknown.String()}, "isAllowed": false}).wantProblem(400, nil)
		e.do("GET", "/authenticators/list?isAllowed=true", e.secret(), nil).want(200)
		e.do("POST", "/authenticators/remove", e.secret(), map[string]any{"aaGuids": []string{mdstest.Certified.String()}}).want(204)
		c.invalid(func() {
			e.do("GET", "/authenticators/list", e.secret(), nil).wantProblem(400, nil)
			e.do("POST", "/authenticators/remove", e.secret(), map[string]any{"aaGuids": []string{}}).wantProblem(400, nil)
		})

		// Metadata.
		e.do("GET", "/mds/attestation-types", mgmt(), nil).want(200)
		e.do("GET", "/mds/certification-statuses", mgmt(), nil).want(200)
		e.do("GET", "/mds/entries?attestationTypes=basic_full&certificationStatuses=FIDO_CERTIFIED_L1", mgmt(), nil).want(200)
		e.do("GET", "/mds/entries", mgmt(), nil).want(200)
		c.invalid(func() { e.do("GET", "/mds/entries?attestationTypes=a-b", mgmt(), nil).wantProblem(400, nil) })

		// Apps and keys.
		e.do("GET", "/admin/apps/newapp/available", mgmt(), nil).want(200)
		e.do("GET", "/admin/apps/NewApp/available", mgmt(), nil).wantProblem(400, nil)
		e.do("POST", "/admin/apps/second/create", mgmt(), map[string]any{"adminEmail": "a@example.com", "maxUsers": nil}).want(200)
		e.do("POST", "/admin/apps/third/create", mgmt(), nil).want(200)
		e.do("POST", "/admin/apps/second/create", mgmt(), map[string]any{}).wantProblem(409, nil)
		e.do("POST", "/admin/apps/2nd/create", mgmt(), map[string]any{}).wantProblem(400, nil)
		e.do("GET", mgmtApp+"/api-keys", mgmt(), nil).want(200)
		e.do("GET", "/admin/apps/nosuchapp/api-keys", mgmt(), nil).wantProblem(400, map[string]any{"errorCode": "app_not_found"})
		c.invalid(func() {
			e.do("POST", mgmtApp+"/public-keys", mgmt(), `{"scopes":[]}`).wantProblem(400, map[string]any{"errorCode": "create_api_key_scopes_required"})
			e.do("POST", mgmtApp+"/secret-keys", mgmt(), `{"scopes":[2]}`).wantProblem(400, nil)
		})
		keyID := regOnlyPub[len(regOnlyPub)-4:]
		e.do("POST", mgmtApp+"/api-keys/"+keyID+"/lock", mgmt(), nil).want(204)
		e.do("POST", mgmtApp+"/api-keys/"+keyID+"/unlock", mgmt(), nil).want(204)
		e.do("DELETE", mgmtApp+"/api-keys/"+keyID, mgmt(), nil).want(204)
		for _, target := range []string{"/lock", "/unlock", ""} {
			method := map[bool]string{true: "DELETE", false: "POST"}[target == ""]
			e.do(method, mgmtApp+"/api-keys/"+keyID+target, mgmt(), nil).wantProblem(404, map[string]any{"errorCode": "api_key_not_found"})
		}
		e.do("POST", "/admin/apps/second/freeze", mgmt(), nil).want(204)
		e.do("POST", "/admin/apps/second/unfreeze", mgmt(), nil).want(204)
		e.do("GET", "/admin/apps/second/can-delete-immediately", mgmt(), nil).want(200)
		e.do("GET", "/admin/apps/nosuchapp/can-delete-immediately", mgmt(), nil).wantProblem(400, map[string]any{"errorCode": "app_not_found"})
		e.do("POST", "/admin/apps/second/mark-delete", mgmt(), map[string]any{"deletedBy": "admin"}).want(200)
		e.do("POST", "/admin/apps/second/mark-delete", mgmt(), nil).wantProblem(400, map[string]any{"errorCode": "app_not_found"})
		e.do("DELETE", "/admin/apps/nosuchapp", mgmt(), nil).wantProblem(400, map[string]any{"errorCode": "app_not_found"})
		e.do("POST", "/admin/apps/nosuchapp/cancel-delete", mgmt(), nil).wantProblem(400, map[string]any{"errorCode": "app_not_found"})

		// An app with a passkey, older than three days, is deleted a month
		// after it is marked.
		fourth := *e
		fourth.appID = "fourth"
		e.do("POST", "/admin/apps/fourth/create", mgmt(), nil).want(200).decode(&fourth.app)
		fourth.register(softauthn.New(), map[string]any{"userId": "u1", "username": "alice"})
		e.clock.Advance(4 * 24 * time.Hour)
		e.do("POST", "/admin/apps/fourth/mark-delete", mgmt(), nil).want(200)
		e.do("POST", "/admin/apps/fourth/mark-delete", mgmt(), nil).wantProblem(400, map[string]any{"errorCode": "app_pending_deletion"})
		e.do("DELETE", "/admin/apps/fourth", mgmt(), nil).wantProblem(400, map[string]any{"errorCode": "app_not_pending_deletion"})
		e.do("POST", "/admin/apps/fourth/cancel-delete", mgmt(), nil).want(200)
		e.do("POST", "/admin/apps/fourth/mark-delete", mgmt(), nil).want(200)
		e.clock.Advance(32 * 24 * time.Hour)
		if due := e.do("GET", "/apps/list-pending-deletion", mgmt(), nil).want(200).body; string(due) != `["fourth"]` {
			t.Errorf("apps pending deletion = %s", due)
		}
		e.do("DELETE", "/admin/apps/fourth", mgmt(), nil).want(200)

		// Limits, on a server of their own.
		busy := newEnv(t, on, withConfig(func(cfg *httpapi.Config) {
			cfg.PublicLimiter = ratelimit.New(1, time.Hour, nil)
			cfg.MaxBodyMemory = 64 << 10
		}))
		c.watch(busy)
		busy.do("POST", "/signin/begin", busy.public(), clientBody(nil)).want(200)
		busy.do("POST", "/signin/begin", busy.public(), clientBody(nil)).wantProblem(429, map[string]any{"errorCode": "rate_limit_exceeded"})
		big := map[string]any{"userId": "u1", "username": "alice", "padding": strings.Repeat("x", 100<<10)}
		r := busy.do("POST", "/register/token", busy.secret(), big)
		r.wantProblem(503, map[string]any{"errorCode": "server_busy"})
		if _, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil {
			t.Errorf("503 without Retry-After: %v", r.header)
		}
		// Bodies are read before routing, even where none is expected.
		busy.do("GET", "/openapi.json", nil, big).wantProblem(503, map[string]any{"errorCode": "server_busy"})
		for range 11 {
			busy.do("GET", "/apps/list-pending-deletion", http.Header{"ManagementKey": {"wrong-key-0123456789"}}, nil)
		}
		busy.do("GET", "/apps/list-pending-deletion", mgmt(), nil).wantProblem(429, map[string]any{"errorCode": "rate_limit_exceeded"})

		// Without its database the server is not ready.
		e.store.Close()
		e.do("GET", "/health/storage", nil, nil).want(503)

		c.wantCovered()
	})
}
