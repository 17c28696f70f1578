package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/passwordless-oss/server/internal/apikey"
	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/metrics"
	"github.com/passwordless-oss/server/internal/problem"
)

// access says how an endpoint authenticates.
type access int

const (
	anonymous  access = iota
	publicKey         // ApiKey header
	secretKey         // ApiSecret header
	management        // ManagementKey header
)

// endpoint is one method of one route.
type endpoint struct {
	access access
	// scope, if set, must be carried by the key (403 otherwise).
	scope  string
	handle func(c *call) error
}

// call is one authenticated request.
type call struct {
	*Server
	w      http.ResponseWriter
	r      *http.Request
	p      apps.Principal
	events *events.Buffer
}

func (c *call) json(status int, v any) error {
	c.writeJSON(c.w, status, v)
	return nil
}

func (c *call) empty(status int) error {
	c.w.WriteHeader(status)
	return nil
}

func (c *call) decode(v any) error         { return decode(c.r, v, false) }
func (c *call) decodeOptional(v any) error { return decode(c.r, v, true) }

// decodeFeatures decodes the body of the feature endpoints, whose JSON
// null body the original answers with a problem of its own (api-spec.md
// §3.1) rather than as a missing body.
func (c *call) decodeFeatures(v any) error {
	if isJSON(c.r) && isJSONNull(c.r) {
		return problem.BadRequest("", "No 'body' or 'parameters' were passed.")
	}
	return c.decode(v)
}

// routes is the whole API surface in one table.
func (s *Server) routes() {
	pk := func(scope string, h func(*call) error) endpoint { return endpoint{publicKey, scope, h} }
	sk := func(scope string, h func(*call) error) endpoint { return endpoint{secretKey, scope, h} }
	mk := func(h func(*call) error) endpoint { return endpoint{management, "", h} }
	open := func(h func(*call) error) endpoint { return endpoint{anonymous, "", h} }

	// Public endpoints, driven by the browser client (ApiKey).
	ps := s.passkeys
	s.route("/register/begin", post(pk(apikey.ScopeRegister, withBody(ps.RegisterBegin))))
	s.route("/register/complete", post(pk(apikey.ScopeRegister, s.countCeremony(metrics.Register, withClient(ps.RegisterComplete)))))
	s.route("/signin/begin", post(pk(apikey.ScopeLogin, withBody(ps.SigninBegin))))
	s.route("/signin/complete", post(pk(apikey.ScopeLogin, s.countCeremony(metrics.Signin, withClient(ps.SigninComplete)))))

	// Private endpoints, called by the site's backend (ApiSecret).
	s.route("/register/token", post(sk(apikey.ScopeTokenRegister, withBody(ps.RegisterToken))))
	s.route("/signin/verify", post(sk(apikey.ScopeTokenVerify, s.countVerify(withBody(ps.Verify)))))
	s.route("/signin/generate-token", post(sk(apikey.ScopeTokenVerify, withBody(ps.GenerateToken))))
	s.route("/alias", post(sk("", (*call).setAliases)))
	s.route("/alias/list", get(sk("", (*call).listAliases)))
	s.route("/credentials/list", get(sk("", (*call).listCredentialsGET)), post(sk("", (*call).listCredentialsPOST)))
	s.route("/credentials/delete", post(sk("", (*call).deleteCredential)))
	s.route("/users/list", get(sk("", (*call).listUsers)))
	s.route("/users/count", get(sk("", (*call).countUsers)))
	s.route("/users/delete", post(sk("", (*call).deleteUser)))
	s.route("/auth-configs/list", get(sk("", (*call).listAuthConfigs)))
	s.route("/auth-configs/add", post(sk("", (*call).addAuthConfig)))
	s.route("/auth-configs", post(sk("", (*call).editAuthConfig)))
	s.route("/auth-configs/delete", post(sk("", (*call).deleteAuthConfig)))
	s.route("/events", get(sk("", (*call).listEvents)))
	s.route("/apps/features", post(sk("", (*call).setSelfFeatures)))
	s.route("/magic-links/send", post(sk("", (*call).sendMagicLink)))
	s.route("/reporting/credentials/periodic", get(sk("", (*call).credentialsReport)))
	s.route("/reporting/active-users/periodic", get(sk("", (*call).activeUsersReport)))
	s.route("/authenticators/list", get(sk("", (*call).listAuthenticators)))
	s.route("/authenticators/add", post(sk("", (*call).addAuthenticators)))
	s.route("/authenticators/remove", post(sk("", (*call).removeAuthenticators)))

	// Management endpoints (ManagementKey).
	s.route("/admin/apps/{appId}/available", get(mk((*call).appAvailable)))
	s.route("/admin/apps/{appId}/create", post(mk((*call).appCreate)))
	s.route("/admin/apps/{appId}/features", get(mk((*call).appFeatures)), post(mk((*call).appSetFeatures)))
	s.route("/admin/apps/{appId}/freeze", post(mk((*call).appFreeze)))
	s.route("/admin/apps/{appId}/unfreeze", post(mk((*call).appUnfreeze)))
	s.route("/admin/apps/{appId}/public-keys", post(mk((*call).keyCreatePublic)))
	s.route("/admin/apps/{appId}/secret-keys", post(mk((*call).keyCreateSecret)))
	s.route("/admin/apps/{appId}/api-keys", get(mk((*call).keyList)))
	s.route("/admin/apps/{appId}/api-keys/{keyId}/lock", post(mk((*call).keyLock)))
	s.route("/admin/apps/{appId}/api-keys/{keyId}/unlock", post(mk((*call).keyUnlock)))
	s.route("/admin/apps/{appId}/api-keys/{keyId}", del(mk((*call).keyDelete)))
	s.route("/admin/apps/{appId}/can-delete-immediately", get(mk((*call).appCanDeleteImmediately)))
	s.route("/admin/apps/{appId}/mark-delete", post(mk((*call).appMarkDelete)))
	s.route("/admin/apps/{appId}/cancel-delete", post(mk((*call).appCancelDelete)))
	s.route("/admin/apps/{appId}", del(mk((*call).appDelete)))
	s.route("/apps/list-pending-deletion", get(mk((*call).appsPendingDeletion)))
	s.route("/mds/attestation-types", get(mk((*call).mdsAttestationTypes)))
	s.route("/mds/certification-statuses", get(mk((*call).mdsCertificationStatuses)))
	s.route("/mds/entries", get(mk((*call).mdsEntries)))

	// Anonymous.
	s.route("/health/http", get(open((*call).healthHTTP)))
	s.route("/health/storage", get(open((*call).healthStorage)))
	s.route("/health/version", get(open((*call).healthVersion)))
	s.route("/health/throw/api", get(open((*call).healthThrow)))
	s.route("/openapi.json", get(open((*call).openAPI)))
	s.mux.HandleFunc("/", s.root)
}

// method is one method of a route and the endpoint that answers it.
type method struct {
	name string
	ep   endpoint
}

func get(ep endpoint) method  { return method{http.MethodGet, ep} }
func post(ep endpoint) method { return method{http.MethodPost, ep} }
func del(ep endpoint) method  { return method{http.MethodDelete, ep} }

// route registers the endpoints of one path, one per method. Method
// dispatch is ours so that 405s are problem documents.
func (s *Server) route(pattern string, ms ...method) {
	methods := map[string]endpoint{}
	var allow []string
	for _, m := range ms {
		methods[m.name] = m.ep
		allow = append(allow, m.name)
	}
	slices.Sort(allow)
	for _, m := range allow {
		s.endpoints = append(s.endpoints, m+" "+pattern)
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		ep, ok := methods[r.Method]
		if !ok {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.writeError(w, r, problem.MethodNotAllowed("Method "+r.Method+" is not allowed on this endpoint."))
			return
		}
		ctx, buf := events.NewContext(r.Context(), time.Now())
		c := &call{Server: s, w: w, r: r.WithContext(ctx), events: buf}
		// The request's audit events are kept after the response, failed
		// requests included.
		defer func() { s.eventLog.Keep(c.r.Context(), c.events, c.p.App) }()
		if err := s.authorize(c, ep); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := ep.handle(c); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) authorize(c *call, ep endpoint) error {
	var err error
	switch ep.access {
	case publicKey:
		if err = s.checkPublicRate(c.r); err == nil {
			c.p, err = s.authenticate(c, schemeApiKey)
		}
	case secretKey:
		c.p, err = s.authenticate(c, schemeApiSecret)
	case management:
		if err = s.checkManagementKey(c.r); err == nil {
			c.events.SetCaller(c.r.PathValue("appId"), "")
		}
	}
	if err != nil {
		return err
	}
	if c.p.App.ID != "" {
		c.events.SetCaller(c.p.App.ID, c.p.Key.ID)
	}
	if ep.scope != "" && !c.p.HasScope(ep.scope) {
		return forbidden(ep.scope)
	}
	return nil
}

// root answers GET / for humans and every unknown path with a 404 problem.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("This is a Passwordless.dev-compatible passkey API server. See the README for the endpoints.\n"))
		return
	}
	s.writeError(w, r, problem.NoEndpoint("There is no endpoint at "+r.URL.Path+"."))
}
