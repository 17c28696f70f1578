package sdktest

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/mail/mailtest"
	"github.com/passwordless-oss/server/internal/mds/mdstest"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/teststores"
	passwordless "github.com/passwordless-oss/server/sdk/go"
)

var ctx = context.Background()

// wantProblem fails unless err is a *passwordless.Problem with the status
// and error code ("" for none).
func wantProblem(t *testing.T, err error, status int, code string) *passwordless.Problem {
	t.Helper()
	var p *passwordless.Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %v (%T) is not a Problem", err, err)
	}
	if p.Status != status || p.ErrorCode != code {
		t.Fatalf("problem = %d %q (%s), want %d %q", p.Status, p.ErrorCode, p.Title, status, code)
	}
	return p
}

func TestRegisterAndVerify(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		tok, err := e.client.CreateRegisterToken(ctx, passwordless.RegisterOptions{
			UserID: "u1", Username: "ada@example.com", DisplayName: "Ada", Aliases: []string{"ada"},
			Hints: []string{"client-device"}, ExpiresAt: time.Now().Add(time.Minute),
		})
		if err != nil || !strings.HasPrefix(tok, "register_") {
			t.Fatalf("CreateRegisterToken = %q, %v", tok, err)
		}
		verify := e.register(tok, softauthn.New())
		user, err := e.client.VerifyToken(ctx, verify)
		if err != nil {
			t.Fatal(err)
		}
		if !user.Success || user.UserID != "u1" || user.Type != "passkey_register" || user.Origin != origin || user.RPID != rpID ||
			user.Nickname != "laptop" || user.CredentialID == "" || user.TokenID == "" {
			t.Fatalf("verified user = %+v", user)
		}
		if user.ExpiresAt.Sub(user.Timestamp.Time) <= 0 || time.Since(user.Timestamp.Time) > time.Minute {
			t.Fatalf("times: minted %v, expires %v", user.Timestamp, user.ExpiresAt)
		}
		// A verify token verifies once.
		_, err = e.client.VerifyToken(ctx, verify)
		wantProblem(t, err, 400, "invalid_token")

		// Sign-in: the purpose comes back.
		user, err = e.client.VerifyToken(ctx, e.signin("u1", softauthnFor(t, e, "u1")))
		if err != nil || user.Type != "passkey_signin" || user.Purpose != "sign-in" {
			t.Fatalf("sign-in verify = %+v, %v", user, err)
		}
	})
}

// softauthnFor registers a new authenticator for userID and returns it.
func softauthnFor(t *testing.T, e *env, userID string) *softauthn.Authenticator {
	t.Helper()
	a := softauthn.New()
	e.registerUser(userID, a)
	return a
}

func TestRegisterTokenErrors(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		_, err := e.client.CreateRegisterToken(ctx, passwordless.RegisterOptions{UserID: "u1"})
		p := wantProblem(t, err, 400, "")
		if len(p.Errors["username"]) == 0 {
			t.Fatalf("validation problem without the username field: %+v", p)
		}
		_, err = e.client.CreateRegisterToken(ctx, passwordless.RegisterOptions{UserID: "u1", Username: "u", Attestation: "direct"})
		wantProblem(t, err, 400, "attestation_not_supported_on_plan")

		if err := e.client.SetAliases(ctx, "owner", []string{"taken"}, true); err != nil {
			t.Fatal(err)
		}
		_, err = e.client.CreateRegisterToken(ctx, passwordless.RegisterOptions{UserID: "u2", Username: "u", Aliases: []string{"taken"}})
		if !passwordless.IsProblem(err, "alias_conflict") {
			t.Fatalf("alias of another user: %v", err)
		}

		_, err = e.client.VerifyToken(ctx, "verify_AAAA")
		wantProblem(t, err, 400, "invalid_token_format")
		_, err = e.client.VerifyToken(ctx, "register_AAAA")
		wantProblem(t, err, 400, "invalid_token")
	})
}

func TestGenerateToken(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		tok, err := e.client.GenerateToken(ctx, passwordless.GenerateTokenOptions{UserID: "u1", TimeToLive: 90 * time.Second, Purpose: "recovery", Origin: origin})
		if err != nil {
			t.Fatal(err)
		}
		user, err := e.client.VerifyToken(ctx, tok)
		if err != nil || user.Type != "generated_signin" || user.Purpose != "recovery" || user.Origin != origin {
			t.Fatalf("verify = %+v, %v", user, err)
		}
		if ttl := user.ExpiresAt.Sub(user.Timestamp.Time); ttl != 90*time.Second {
			t.Fatalf("lifetime %v, want 90s", ttl)
		}
		_, err = e.client.GenerateToken(ctx, passwordless.GenerateTokenOptions{UserID: "u1", TimeToLive: 8 * 24 * time.Hour})
		wantProblem(t, err, 400, "")
		_, err = e.client.GenerateToken(ctx, passwordless.GenerateTokenOptions{})
		wantProblem(t, err, 400, "")

		off := false
		if err := e.client.SetFeatures(ctx, passwordless.Features{EnableManuallyGeneratedAuthenticationTokens: &off}); err != nil {
			t.Fatal(err)
		}
		_, err = e.client.GenerateToken(ctx, passwordless.GenerateTokenOptions{UserID: "u1"})
		if p := wantProblem(t, err, 403, ""); !strings.Contains(p.Title, "disabled") {
			t.Fatalf("title %q", p.Title)
		}
	})
}

func TestAliases(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		if err := e.client.SetAliases(ctx, "u1", []string{"ada@example.com", "ada"}, false); err != nil {
			t.Fatal(err)
		}
		aliases, err := e.client.ListAliases(ctx, "u1")
		if err != nil || len(aliases) != 2 {
			t.Fatalf("ListAliases = %+v, %v", aliases, err)
		}
		var plain []string
		for _, a := range aliases {
			if a.UserID != "u1" || a.Tenant != e.appID || a.Hash == "" {
				t.Fatalf("alias = %+v", a)
			}
			plain = append(plain, a.Plaintext)
		}
		slices.Sort(plain)
		if !slices.Equal(plain, []string{"ada", "ada@example.com"}) {
			t.Fatalf("plain texts %v", plain)
		}
		// Hashed aliases have no plain text; nil clears.
		if err := e.client.SetAliases(ctx, "u1", []string{"secret"}, true); err != nil {
			t.Fatal(err)
		}
		if aliases, _ := e.client.ListAliases(ctx, "u1"); len(aliases) != 1 || aliases[0].Plaintext != "" {
			t.Fatalf("hashed alias = %+v", aliases)
		}
		err = e.client.SetAliases(ctx, "u2", []string{"secret"}, true)
		wantProblem(t, err, 409, "alias_conflict")
		if err := e.client.SetAliases(ctx, "u1", nil, true); err != nil {
			t.Fatal(err)
		}
		if aliases, _ := e.client.ListAliases(ctx, "u1"); len(aliases) != 0 {
			t.Fatalf("after clearing: %+v", aliases)
		}

		_, err = e.client.ListAliases(ctx, "")
		wantProblem(t, err, 400, "")
		err = e.client.SetAliases(ctx, "u1", []string{strings.Repeat("a", 251)}, true)
		wantProblem(t, err, 400, "")
	})
}

func TestCredentialsAndUsers(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		named := softauthn.New()
		named.AAGUID = uuid.MustParse(namedAAGUID)
		e.registerUser("u1", named)
		fromMDS := softauthn.New()
		fromMDS.AAGUID = mdstest.Uncertified
		e.registerUser("u1", fromMDS)
		e.registerUser("u2", softauthn.New())
		if err := e.client.SetAliases(ctx, "u3", []string{"only-alias"}, false); err != nil {
			t.Fatal(err)
		}

		creds, err := e.client.ListCredentials(ctx, "u1")
		if err != nil || len(creds) != 2 {
			t.Fatalf("ListCredentials = %+v, %v", creds, err)
		}
		names := map[string]string{}
		for _, c := range creds {
			if c.UserID != "u1" || c.Descriptor.Type != "public-key" || c.Descriptor.ID == "" || c.PublicKey == "" ||
				c.RPID != rpID || c.Origin != origin || c.Nickname != "laptop" || !c.IsDiscoverable || c.AttestationFmt != "none" ||
				c.CreatedAt.IsZero() || c.LastUsedAt.IsZero() {
				t.Fatalf("credential = %+v", c)
			}
			names[c.AAGUID] = c.AuthenticatorName
		}
		if names[namedAAGUID] != namedProduct || names[mdstest.Uncertified.String()] != mdstest.UncertifiedName {
			t.Fatalf("authenticator names %v", names)
		}
		if creds, _ := e.client.ListCredentials(ctx, "u2"); len(creds) != 1 || creds[0].AuthenticatorName != "" {
			t.Fatalf("zero AAGUID: %+v", creds)
		}
		if creds, err := e.client.ListCredentials(ctx, "nobody"); err != nil || len(creds) != 0 {
			t.Fatalf("unknown user: %+v, %v", creds, err)
		}
		_, err = e.client.ListCredentials(ctx, "")
		wantProblem(t, err, 400, "")

		count, err := e.client.CountUsers(ctx)
		if err != nil || count != 2 {
			t.Fatalf("CountUsers = %d, %v", count, err)
		}
		list, err := e.client.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]passwordless.UserSummary{}
		for _, u := range list {
			byID[u.UserID] = u
		}
		if u := byID["u1"]; u.CredentialsCount != 2 || u.LastUsedAt.IsZero() {
			t.Fatalf("u1 = %+v", u)
		}
		if u := byID["u3"]; u.CredentialsCount != 0 || u.AliasCount != 1 || !slices.Equal(u.Aliases, []string{"only-alias"}) || !u.LastUsedAt.IsZero() {
			t.Fatalf("u3 = %+v", u)
		}

		if err := e.client.DeleteCredential(ctx, creds[0].Descriptor.ID); err != nil {
			t.Fatal(err)
		}
		if left, _ := e.client.ListCredentials(ctx, "u1"); len(left) != 1 || left[0].Descriptor.ID == creds[0].Descriptor.ID {
			t.Fatalf("after delete: %+v", left)
		}
		// Deleting again is idempotent; an empty or non-base64url id is not.
		if err := e.client.DeleteCredential(ctx, creds[0].Descriptor.ID); err != nil {
			t.Fatalf("second delete: %v", err)
		}
		wantProblem(t, e.client.DeleteCredential(ctx, ""), 400, "")
		wantProblem(t, e.client.DeleteCredential(ctx, "a+b/"), 400, "")

		if err := e.client.DeleteUser(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		if count, _ := e.client.CountUsers(ctx); count != 1 {
			t.Fatalf("count after deleting u1: %d", count)
		}
		wantProblem(t, e.client.DeleteUser(ctx, ""), 400, "")
	})
}

func TestAuthConfigs(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		presets, err := e.client.ListAuthConfigs(ctx, "")
		if err != nil || len(presets) != 2 {
			t.Fatalf("presets = %+v, %v", presets, err)
		}
		for _, c := range presets {
			if c.TimeToLive != 2*time.Minute || c.UserVerificationRequirement != "preferred" {
				t.Fatalf("preset = %+v", c)
			}
		}
		err = e.client.AddAuthConfig(ctx, passwordless.AuthConfigRequest{
			Purpose: "payment", UserVerificationRequirement: "required", TimeToLive: 3 * time.Minute,
			Hints: []string{"security-key", "hybrid"}, PerformedBy: "ops",
		})
		if err != nil {
			t.Fatal(err)
		}
		got := find(t, e, "payment")
		if got.TimeToLive != 3*time.Minute || got.UserVerificationRequirement != "required" || got.Hints != "SecurityKey, Hybrid" ||
			got.CreatedBy != "ops" || got.CreatedOn.IsZero() || !got.EditedOn.IsZero() {
			t.Fatalf("payment = %+v", got)
		}
		err = e.client.EditAuthConfig(ctx, passwordless.AuthConfigRequest{Purpose: "payment", TimeToLive: 26 * time.Hour, PerformedBy: "ops2"})
		if err != nil {
			t.Fatal(err)
		}
		if got := find(t, e, "payment"); got.TimeToLive != 26*time.Hour || got.EditedBy != "ops2" || got.EditedOn.IsZero() || got.Hints != "" {
			t.Fatalf("edited = %+v", got)
		}

		wantProblem(t, e.client.AddAuthConfig(ctx, passwordless.AuthConfigRequest{Purpose: "payment", PerformedBy: "ops"}), 400, "")
		wantProblem(t, e.client.AddAuthConfig(ctx, passwordless.AuthConfigRequest{Purpose: "bad purpose!", PerformedBy: "ops"}), 400, "")
		wantProblem(t, e.client.AddAuthConfig(ctx, passwordless.AuthConfigRequest{Purpose: "long", TimeToLive: 8 * 24 * time.Hour, PerformedBy: "ops"}), 400, "")
		wantProblem(t, e.client.EditAuthConfig(ctx, passwordless.AuthConfigRequest{Purpose: "nope", PerformedBy: "ops"}), 404, "")
		wantProblem(t, e.client.DeleteAuthConfig(ctx, "sign-in", "ops"), 400, "")
		wantProblem(t, e.client.DeleteAuthConfig(ctx, "nope", "ops"), 404, "")

		if err := e.client.DeleteAuthConfig(ctx, "payment", "ops"); err != nil {
			t.Fatal(err)
		}
		if list, _ := e.client.ListAuthConfigs(ctx, "payment"); len(list) != 0 {
			t.Fatalf("after delete: %+v", list)
		}
	})
}

func find(t *testing.T, e *env, purpose string) passwordless.AuthConfig {
	t.Helper()
	list, err := e.client.ListAuthConfigs(ctx, purpose)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.Purpose == purpose {
			return c
		}
	}
	t.Fatalf("no %s in %+v", purpose, list)
	return passwordless.AuthConfig{}
}

var tokenInLink = regexp.MustCompile(`token=(verify_[A-Za-z0-9_-]+)`)

func TestMagicLinks(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		link := passwordless.MagicLinkOptions{EmailAddress: "ada@example.com", URLTemplate: "https://example.com/magic?token=$TOKEN", UserID: "u1", TimeToLive: 10 * time.Minute}
		// New apps have a monthly quota of 0.
		wantProblem(t, e.client.SendMagicLink(ctx, link), 429, "magic_link_email_quota_exceeded")

		e.features(map[string]any{"magicLinkEmailMonthlyQuota": 10})
		if err := e.client.SendMagicLink(ctx, link); err != nil {
			t.Fatal(err)
		}
		msgs := e.smtp.Messages()
		if len(msgs) != 1 || msgs[0].To[0] != "ada@example.com" {
			t.Fatalf("messages %+v", msgs)
		}
		parsed, err := mailtest.Parse(msgs[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		m := tokenInLink.FindStringSubmatch(parsed.Text)
		if m == nil {
			t.Fatalf("no link in %q", parsed.Text)
		}
		user, err := e.client.VerifyToken(ctx, m[1])
		if err != nil || user.Type != "magic_link" || user.UserID != "u1" || user.ExpiresAt.Sub(user.Timestamp.Time) != 10*time.Minute {
			t.Fatalf("magic link verify = %+v, %v", user, err)
		}

		bad := link
		bad.URLTemplate = "https://example.com/magic"
		p := wantProblem(t, e.client.SendMagicLink(ctx, bad), 400, "")
		if len(p.Errors["urlTemplate"]) == 0 {
			t.Fatalf("no urlTemplate error: %+v", p)
		}
		off := false
		if err := e.client.SetFeatures(ctx, passwordless.Features{EnableMagicLinks: &off, PerformedBy: "ops"}); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, e.client.SendMagicLink(ctx, link), 403, "")
	})
}

func TestEvents(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		_, err := e.client.ListEvents(ctx, 1, 10)
		wantProblem(t, err, 403, "")

		e.features(map[string]any{"eventLoggingIsEnabled": true})
		named := softauthn.New()
		named.AAGUID = uuid.MustParse(namedAAGUID)
		e.registerUser("u1", named)
		page, err := e.client.ListEvents(ctx, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if page.TenantID != e.appID || len(page.Events) != 2 || page.TotalEventCount < 3 {
			t.Fatalf("page = %+v", page)
		}
		newest := page.Events[0]
		if newest.EventType != "ApiAuthPasskeyRegistrationCompleted" || !strings.Contains(newest.Message, namedAAGUID) ||
			newest.PerformedAt.IsZero() || newest.TenantID != e.appID || newest.Severity == "" {
			t.Fatalf("newest event = %+v", newest)
		}
		all, err := e.client.ListEvents(ctx, 1, 0)
		if err != nil || int64(len(all.Events)) != all.TotalEventCount {
			t.Fatalf("default page size: %d of %d, %v", len(all.Events), all.TotalEventCount, err)
		}
		_, err = e.client.ListEvents(ctx, 0, 10)
		wantProblem(t, err, 400, "")
		_, err = e.client.ListEvents(ctx, 1, 1001)
		wantProblem(t, err, 400, "")
	})
}

func TestSetFeatures(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		days := 30
		if err := e.client.SetFeatures(ctx, passwordless.Features{EventLoggingRetentionPeriod: &days, PerformedBy: "ops"}); err != nil {
			t.Fatal(err)
		}
		var features struct {
			EventLoggingRetentionPeriod int `json:"eventLoggingRetentionPeriod"`
		}
		e.manage("GET", "/admin/apps/"+e.appID+"/features", nil, &features)
		if features.EventLoggingRetentionPeriod != 30 {
			t.Fatalf("retention %d, want 30", features.EventLoggingRetentionPeriod)
		}
		days = 366
		wantProblem(t, e.client.SetFeatures(ctx, passwordless.Features{EventLoggingRetentionPeriod: &days}), 400, "")
	})
}

func TestAuthenticators(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		_, err := e.client.ListAuthenticators(ctx, true)
		wantProblem(t, err, 403, "attestation_not_supported_on_plan")
		wantProblem(t, e.client.AddAuthenticators(ctx, []string{mdstest.Certified.String()}, true), 403, "attestation_not_supported_on_plan")
		wantProblem(t, e.client.RemoveAuthenticators(ctx, []string{mdstest.Certified.String()}), 403, "attestation_not_supported_on_plan")

		e.features(map[string]any{"allowAttestation": true})
		if err := e.client.AddAuthenticators(ctx, []string{mdstest.Certified.String(), mdstest.Fixed.String()}, true); err != nil {
			t.Fatal(err)
		}
		if err := e.client.AddAuthenticators(ctx, []string{mdstest.Revoked.String()}, false); err != nil {
			t.Fatal(err)
		}
		allowed, err := e.client.ListAuthenticators(ctx, true)
		if err != nil || len(allowed) != 2 || allowed[0].CreatedAt.IsZero() {
			t.Fatalf("allow list = %+v, %v", allowed, err)
		}
		blocked, err := e.client.ListAuthenticators(ctx, false)
		if err != nil || len(blocked) != 1 || blocked[0].AAGUID != mdstest.Revoked.String() {
			t.Fatalf("block list = %+v, %v", blocked, err)
		}
		if err := e.client.RemoveAuthenticators(ctx, []string{mdstest.Certified.String()}); err != nil {
			t.Fatal(err)
		}
		if allowed, _ := e.client.ListAuthenticators(ctx, true); len(allowed) != 1 || allowed[0].AAGUID != mdstest.Fixed.String() {
			t.Fatalf("after remove: %+v", allowed)
		}
		wantProblem(t, e.client.AddAuthenticators(ctx, []string{mdstest.Unknown.String()}, true), 400, "")
		wantProblem(t, e.client.AddAuthenticators(ctx, nil, true), 400, "")
		wantProblem(t, e.client.RemoveAuthenticators(ctx, []string{"not-a-uuid"}), 400, "")
	})
}

func TestReports(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		e.registerUser("u1", softauthn.New())
		e.registerUser("u1", softauthn.New())
		e.registerUser("u2", softauthn.New())
		now := time.Now().UTC()
		if err := reports.New(e.store).SnapshotApp(ctx, e.appID, now); err != nil {
			t.Fatal(err)
		}
		today := now.Truncate(24 * time.Hour)

		creds, err := e.client.CredentialsReport(ctx, today, today)
		if err != nil || len(creds) != 1 || creds[0].Users != 2 || creds[0].Credentials != 3 || !creds[0].Date.Equal(today) {
			t.Fatalf("credentials report = %+v, %v", creds, err)
		}
		active, err := e.client.ActiveUsersReport(ctx, time.Time{}, time.Time{})
		if err != nil || len(active) != 1 || active[0].TotalUsers != 2 || !active[0].Date.Equal(today) {
			t.Fatalf("active users report = %+v, %v", active, err)
		}
		if none, err := e.client.CredentialsReport(ctx, time.Time{}, today.AddDate(0, 0, -1)); err != nil || len(none) != 0 {
			t.Fatalf("before today: %+v, %v", none, err)
		}
	})
}

// Authentication failures are problems without an error code, and the
// client's context and HTTP client are honoured.
func TestTransport(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open)
		wrong := passwordless.New(e.appID+":secret:00000000000000000000000000000000", passwordless.WithBaseURL(e.url))
		_, err := wrong.CountUsers(ctx)
		if p := wantProblem(t, err, 401, ""); !strings.Contains(p.Title, "ApiSecret") {
			t.Fatalf("401 title %q", p.Title)
		}
		public := passwordless.New(e.keys.APIKey1, passwordless.WithBaseURL(e.url))
		_, err = public.ListUsers(ctx)
		if p := wantProblem(t, err, 401, ""); !strings.Contains(p.Detail, "public ApiKey") {
			t.Fatalf("401 detail %q", p.Detail)
		}

		// A trailing slash on the base URL is fine.
		slash := passwordless.New(e.keys.APISecret1, passwordless.WithBaseURL(e.url+"/"))
		if _, err := slash.CountUsers(ctx); err != nil {
			t.Fatal(err)
		}

		canceled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := e.client.CountUsers(canceled); !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled context: %v", err)
		}

		var seen []string
		recording := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("Client-Version"))
			return http.DefaultTransport.RoundTrip(r)
		})}
		custom := passwordless.New(e.keys.APISecret1, passwordless.WithBaseURL(e.url), passwordless.WithHTTPClient(recording))
		if _, err := custom.CountUsers(ctx); err != nil {
			t.Fatal(err)
		}
		if len(seen) != 1 || seen[0] != "GET /users/count go-"+passwordless.Version {
			t.Fatalf("requests through the custom client: %v", seen)
		}

		// Nothing listens here: a transport error, not a Problem.
		gone := passwordless.New(e.keys.APISecret1, passwordless.WithBaseURL("http://127.0.0.1:1"))
		var p *passwordless.Problem
		if _, err := gone.CountUsers(ctx); err == nil || errors.As(err, &p) {
			t.Fatalf("unreachable server: %v", err)
		}
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDefaultBaseURL(t *testing.T) {
	if got := passwordless.New("x").BaseURL(); got != "https://v4.passwordless.dev" {
		t.Fatalf("default base URL %q", got)
	}
}
