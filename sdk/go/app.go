package passwordless

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// AuthConfig is a sign-in purpose: the settings of sign-ins started for it.
type AuthConfig struct {
	Purpose string `json:"purpose"`
	// UserVerificationRequirement is "required", "preferred" or "discouraged".
	UserVerificationRequirement string `json:"userVerificationRequirement"`
	// TimeToLive is the lifetime of the verify tokens of this purpose.
	TimeToLive time.Duration `json:"-"`
	// Hints are the WebAuthn hints as the API lists them
	// ("SecurityKey, Hybrid"); "" when none.
	Hints      string `json:"hints"`
	CreatedBy  string `json:"createdBy"`
	CreatedOn  Time   `json:"createdOn"`
	EditedBy   string `json:"editedBy"`
	EditedOn   Time   `json:"editedOn"`
	LastUsedOn Time   `json:"lastUsedOn"`
}

// UnmarshalJSON reads the time to live, which the API gives in seconds.
func (a *AuthConfig) UnmarshalJSON(b []byte) error {
	type plain AuthConfig
	var v struct {
		plain
		TimeToLive float64 `json:"timeToLive"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = AuthConfig(v.plain)
	a.TimeToLive = time.Duration(v.TimeToLive * float64(time.Second))
	return nil
}

// AuthConfigRequest adds or changes a sign-in purpose.
type AuthConfigRequest struct {
	// Purpose names the configuration: letters, digits, '-' and '_'.
	Purpose string
	// UserVerificationRequirement: "required", "preferred" (default) or
	// "discouraged".
	UserVerificationRequirement string
	// TimeToLive of the verify tokens (default 120 s, at most 7 days).
	TimeToLive time.Duration
	// Hints are WebAuthn hints: "security-key", "client-device", "hybrid".
	Hints []string
	// PerformedBy names who made the change (required), for the event log.
	PerformedBy string
}

func (r AuthConfigRequest) wire() any {
	body := struct {
		Purpose                     string   `json:"purpose"`
		UserVerificationRequirement string   `json:"userVerificationRequirement,omitempty"`
		TimeToLive                  string   `json:"timeToLive,omitempty"`
		Hints                       []string `json:"hints,omitempty"`
		PerformedBy                 string   `json:"performedBy"`
	}{Purpose: r.Purpose, UserVerificationRequirement: r.UserVerificationRequirement, Hints: r.Hints, PerformedBy: r.PerformedBy}
	if r.TimeToLive > 0 {
		body.TimeToLive = timeSpan(r.TimeToLive)
	}
	return body
}

// ListAuthConfigs returns the sign-in purposes: all of them, or with a
// non-empty purpose, that one (the list may then hold presets too; pick by
// Purpose).
func (c *Client) ListAuthConfigs(ctx context.Context, purpose string) ([]AuthConfig, error) {
	var q url.Values
	if purpose != "" {
		q = url.Values{"purpose": {purpose}}
	}
	var res struct {
		Configurations []AuthConfig `json:"configurations"`
	}
	if err := c.get(ctx, "/auth-configs/list", q, &res); err != nil {
		return nil, err
	}
	return res.Configurations, nil
}

// AddAuthConfig adds a sign-in purpose. An existing one (including the
// presets "sign-in" and "step-up") is a 400 *Problem.
func (c *Client) AddAuthConfig(ctx context.Context, r AuthConfigRequest) error {
	return c.post(ctx, "/auth-configs/add", r.wire(), nil)
}

// EditAuthConfig changes a sign-in purpose. An unknown one is a 404
// *Problem.
func (c *Client) EditAuthConfig(ctx context.Context, r AuthConfigRequest) error {
	return c.post(ctx, "/auth-configs", r.wire(), nil)
}

// DeleteAuthConfig deletes a sign-in purpose. The presets cannot be
// deleted (400); an unknown purpose is a 404 *Problem.
func (c *Client) DeleteAuthConfig(ctx context.Context, purpose, performedBy string) error {
	return c.post(ctx, "/auth-configs/delete", struct {
		Purpose     string `json:"purpose"`
		PerformedBy string `json:"performedBy"`
	}{purpose, performedBy}, nil)
}

// MagicLinkOptions are the settings of a magic-link e-mail.
type MagicLinkOptions struct {
	// EmailAddress receives the link.
	EmailAddress string `json:"emailAddress"`
	// URLTemplate is the link, with $TOKEN where the verify token goes,
	// e.g. "https://example.com/magic?token=$TOKEN".
	URLTemplate string `json:"urlTemplate"`
	// UserID is the user the link signs in.
	UserID string `json:"userId"`
	// TimeToLive of the link (default 1 hour, at most 7 days).
	TimeToLive time.Duration `json:"-"`
}

// SendMagicLink mails a sign-in link whose token VerifyToken accepts
// (type "magic_link"). Limits and quotas are *Problem errors (403, 429).
func (c *Client) SendMagicLink(ctx context.Context, opts MagicLinkOptions) error {
	return c.post(ctx, "/magic-links/send", struct {
		MagicLinkOptions
		TimeToLive int64 `json:"timeToLive,omitempty"`
	}{opts, seconds(opts.TimeToLive)}, nil)
}

// Event is one entry of the application's event log.
type Event struct {
	PerformedAt Time   `json:"performedAt"`
	Message     string `json:"message"`
	PerformedBy string `json:"performedBy"`
	TenantID    string `json:"tenantId"`
	// EventType names the event, e.g. "ApiAuthUserRegistered".
	EventType string `json:"eventType"`
	// Severity is "Informational", "Warning", "Alert" or "Error".
	Severity string `json:"severity"`
	Subject  string `json:"subject"`
	APIKeyID string `json:"apiKeyId"`
}

// EventPage is one page of the event log, newest first.
type EventPage struct {
	TenantID        string  `json:"tenantId"`
	Events          []Event `json:"events"`
	TotalEventCount int64   `json:"totalEventCount"`
}

// ListEvents returns page pageNumber (from 1) of the event log, with
// pageSize events per page (0: the server's default, 100; at most 1000).
// The app must have event logging enabled, else it is a 403 *Problem.
func (c *Client) ListEvents(ctx context.Context, pageNumber, pageSize int) (*EventPage, error) {
	q := url.Values{"pageNumber": {strconv.Itoa(pageNumber)}}
	if pageSize > 0 {
		q.Set("numberOfResults", strconv.Itoa(pageSize))
	}
	var res EventPage
	if err := c.get(ctx, "/events", q, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Features changes the application's self-service switches; nil fields
// stay as they are.
type Features struct {
	// EventLoggingRetentionPeriod is the days events are kept (0–90).
	EventLoggingRetentionPeriod *int `json:"eventLoggingRetentionPeriod,omitempty"`
	// EnableManuallyGeneratedAuthenticationTokens switches GenerateToken.
	EnableManuallyGeneratedAuthenticationTokens *bool `json:"enableManuallyGeneratedAuthenticationTokens,omitempty"`
	// EnableMagicLinks switches SendMagicLink.
	EnableMagicLinks *bool `json:"enableMagicLinks,omitempty"`
	// PerformedBy names who made the change, for the event log.
	PerformedBy string `json:"performedBy,omitempty"`
}

// SetFeatures changes the application's self-service switches.
func (c *Client) SetFeatures(ctx context.Context, f Features) error {
	return c.post(ctx, "/apps/features", f, nil)
}

// Authenticator is an entry of the app's allow or block list.
type Authenticator struct {
	AAGUID    string `json:"aaGuid"`
	CreatedAt Time   `json:"createdAt"`
}

// ListAuthenticators returns the allow list (allowed true) or block list.
// These need the app's attestation feature, else they are 403 *Problem
// errors.
func (c *Client) ListAuthenticators(ctx context.Context, allowed bool) ([]Authenticator, error) {
	var res []Authenticator
	if err := c.get(ctx, "/authenticators/list", url.Values{"isAllowed": {strconv.FormatBool(allowed)}}, &res); err != nil {
		return nil, err
	}
	return res, nil
}

// AddAuthenticators puts authenticator models, by AAGUID, on the allow
// list (allowed true) or the block list. Each must be in the server's FIDO
// metadata.
func (c *Client) AddAuthenticators(ctx context.Context, aaguids []string, allowed bool) error {
	return c.post(ctx, "/authenticators/add", struct {
		AAGUIDs   []string `json:"aaGuids"`
		IsAllowed bool     `json:"isAllowed"`
	}{aaguids, allowed}, nil)
}

// RemoveAuthenticators takes authenticator models off either list.
func (c *Client) RemoveAuthenticators(ctx context.Context, aaguids []string) error {
	return c.post(ctx, "/authenticators/remove", struct {
		AAGUIDs []string `json:"aaGuids"`
	}{aaguids}, nil)
}

// CredentialsReportRow counts, for one day, the users with passkeys and
// the passkeys.
type CredentialsReportRow struct {
	Date        Time `json:"createdAt"`
	Users       int  `json:"users"`
	Credentials int  `json:"credentials"`
}

// ActiveUsersReportRow counts, for one day, the users who signed in that
// day and in the 7 days up to it, and all users.
type ActiveUsersReportRow struct {
	Date              Time `json:"createdAt"`
	DailyActiveUsers  int  `json:"dailyActiveUsers"`
	WeeklyActiveUsers int  `json:"weeklyActiveUsers"`
	TotalUsers        int  `json:"totalUsers"`
}

// dateRange is the from/to query of the reports; a zero time leaves that
// end open.
func dateRange(from, to time.Time) url.Values {
	q := url.Values{}
	if !from.IsZero() {
		q.Set("from", from.Format(time.DateOnly))
	}
	if !to.IsZero() {
		q.Set("to", to.Format(time.DateOnly))
	}
	return q
}

// CredentialsReport returns the daily credential counts between from and
// to (dates, inclusive; a zero time leaves that end open), oldest first.
func (c *Client) CredentialsReport(ctx context.Context, from, to time.Time) ([]CredentialsReportRow, error) {
	var res []CredentialsReportRow
	if err := c.get(ctx, "/reporting/credentials/periodic", dateRange(from, to), &res); err != nil {
		return nil, err
	}
	return res, nil
}

// ActiveUsersReport returns the daily active-user counts between from and
// to (dates, inclusive; a zero time leaves that end open), oldest first.
func (c *Client) ActiveUsersReport(ctx context.Context, from, to time.Time) ([]ActiveUsersReportRow, error) {
	var res []ActiveUsersReportRow
	if err := c.get(ctx, "/reporting/active-users/periodic", dateRange(from, to), &res); err != nil {
		return nil, err
	}
	return res, nil
}
