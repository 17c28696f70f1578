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
	s.route("/register/begin", "POST", pk(apikey.ScopeRegister, withBody(ps.RegisterBegin)))
	s.route("/register/complete", "POST", pk(apikey.ScopeRegister, s.countCeremony(metrics.Register, withClient(ps.RegisterComplete))))
	s.route("/signin/begin", "POST", pk(apikey.ScopeLogin, withBody(ps.SigninBegin)))
	s.route("/signin/complete", "POST", pk(apikey.ScopeLogin, s.countCeremony(metrics.Signin, withClient(ps.SigninComplete))))

	// Private endpoints, called by the site's backend (ApiSecret).
	s.route("/register/token", "POST", sk(apikey.ScopeTokenRegister, withBody(ps.RegisterToken)))
	s.route("/signin/verify", "POST", sk(apikey.ScopeTokenVerify, s.countVerify(withBody(ps.Verify))))
	s.route("/signin/generate-token", "POST", sk(apikey.ScopeTokenVerify, withBody(ps.GenerateToken)))
	s.route("/alias", "POST", sk("", (*call).setAliases))
	s.route("/alias/list", "GET", sk("", (*call).listAliases))
	s.route("/credentials/list", "GET", sk("", (*call).listCredentialsGET), "POST", sk("", (*call).listCredentialsPOST))
	s.route("/credentials/delete", "POST", sk("", (*call).deleteCredential))
	s.route("/users/list", "GET", sk("", (*call).listUsers))
	s.route("/users/count", "GET", sk("", (*call).countUsers))
	s.route("/users/delete", "POST", sk("", (*call).deleteUser))
	s.route("/auth-configs/list", "GET", sk("", (*call).listAuthConfigs))
	s.route("/auth-configs/add", "POST", sk("", (*call).addAuthConfig))
	s.route("/auth-configs", "POST", sk("", (*call).editAuthConfig))
	s.route("/auth-configs/delete", "POST", sk("", (*call).deleteAuthConfig))
	s.route("/events", "GET", sk("", (*call).listEvents))
	s.route("/apps/features", "POST", sk("", (*call).setSelfFeatures))
	s.route("/magic-links/send", "POST", sk("", (*call).sendMagicLink))
	s.route("/reporting/credentials/periodic", "GET", sk("", (*call).credentialsReport))
	s.route("/reporting/active-users/periodic", "GET", sk("", (*call).activeUsersReport))
	s.route("/authenticators/list", "GET", sk("", (*call).listAuthenticators))
	s.route("/authenticators/add", "POST", sk("", (*call).addAuthenticators))
	s.route("/authenticators/remove", "POST", sk("", (*call).removeAuthenticators))

	// Management endpoints (ManagementKey).
	s.route("/admin/apps/{appId}/available", "GET", mk((*call).appAvailable))
	s.route("/admin/apps/{appId}/create", "POST", mk((*call).appCreate))
	s.route("/admin/apps/{appId}/features", "GET", mk((*call).appFeatures), "POST", mk((*call).appSetFeatures))
	s.route("/admin/apps/{appId}/freeze", "POST", mk((*call).appFreeze))
	s.route("/admin/apps/{appId}/unfreeze", "POST", mk((*call).appUnfreeze))
	s.route("/admin/apps/{appId}/public-keys", "POST", mk((*call).keyCreatePublic))
	s.route("/admin/apps/{appId}/secret-keys", "POST", mk((*call).keyCreateSecret))
	s.route("/admin/apps/{appId}/api-keys", "GET", mk((*call).keyList))
	s.route("/admin/apps/{appId}/api-keys/{keyId}/lock", "POST", mk((*call).keyLock))
	s.route("/admin/apps/{appId}/api-keys/{keyId}/unlock", "POST", mk((*call).keyUnlock))
	s.route("/admin/apps/{appId}/api-keys/{keyId}", "DELETE", mk((*call).keyDelete))
	s.route("/admin/apps/{appId}/can-delete-immediately", "GET", mk((*call).appCanDeleteImmediately))
	s.route("/admin/apps/{appId}/mark-delete", "POST", mk((*call).appMarkDelete))
	s.route("/admin/apps/{appId}/cancel-delete", "POST", mk((*call).appCancelDelete))
	s.route("/admin/apps/{appId}", "DELETE", mk((*call).appDelete))
	s.route("/apps/list-pending-deletion", "GET", mk((*call).appsPendingDeletion))
	s.route("/mds/attestation-types", "GET", mk((*call).mdsAttestationTypes))
	s.route("/mds/certification-statuses", "GET", mk((*call).mdsCertificationStatuses))
	s.route("/mds/entries", "GET", mk((*call).mdsEntries))

	// Anonymous.
	s.route("/health/http", "GET", open((*call).healthHTTP))
	s.route("/health/storage", "GET", open((*call).healthStorage))
	s.route("/health/version", "GET", open((*call).healthVersion))
	s.route("/health/throw/api", "GET", open((*call).healthThrow))
	s.route("/openapi.json", "GET", open((*call).openAPI))
	s.mux.HandleFunc("/", s.root)
}

// route registers the endpoints of one path, given as method/endpoint
// pairs. Method dispatch is ours so that 405s are problem documents.
func (s *Server) route(pattern string, pairs ...any) {
	methods := map[string]endpoint{}
	var allow []string
	for i := 0; i < len(pairs); i += 2 {
		m := pairs[i].(string)
		methods[m] = pairs[i+1].(endpoint)
		allow = append(allow, m)
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
