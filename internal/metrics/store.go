package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passwordless-oss/server/internal/store"
)

// InstrumentStore returns st with every operation of the store interface
// timed into passwordless_store_operation_duration_seconds{operation}, and
// registers the store's pool statistics and further figures if it reports
// them (store.PoolReporter, store.StatsReporter). Call it once per
// Metrics: the figures of two stores would collide. A nil m returns st as
// it is.
func (m *Metrics) InstrumentStore(st store.Store) store.Store {
	if m == nil {
		return st
	}
	m.reg.MustRegister(storeCollector{st})
	return &timedStore{Store: st, ops: m.storeOps}
}

// timedStore times each method of the Store it wraps. It embeds the
// Store so that a method added to the interface later still works,
// untimed, until it is added here (TestTimedStoreTimesEveryMethod says
// which).
type timedStore struct {
	store.Store
	ops *prometheus.HistogramVec
}

func (s *timedStore) observe(op string, start time.Time) {
	s.ops.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

func (s *timedStore) Ping(ctx context.Context) error {
	defer s.observe("Ping", time.Now())
	return s.Store.Ping(ctx)
}

func (s *timedStore) Degraded() error {
	defer s.observe("Degraded", time.Now())
	return s.Store.Degraded()
}

func (s *timedStore) Close() error {
	defer s.observe("Close", time.Now())
	return s.Store.Close()
}

func (s *timedStore) CreateApp(ctx context.Context, app store.App, keys []store.APIKey) error {
	defer s.observe("CreateApp", time.Now())
	return s.Store.CreateApp(ctx, app, keys)
}

func (s *timedStore) GetApp(ctx context.Context, appID string) (store.App, error) {
	defer s.observe("GetApp", time.Now())
	return s.Store.GetApp(ctx, appID)
}

func (s *timedStore) UpdateFeatures(ctx context.Context, appID string, u store.FeaturesUpdate) error {
	defer s.observe("UpdateFeatures", time.Now())
	return s.Store.UpdateFeatures(ctx, appID, u)
}

func (s *timedStore) SetDeleteAt(ctx context.Context, appID string, at *time.Time) error {
	defer s.observe("SetDeleteAt", time.Now())
	return s.Store.SetDeleteAt(ctx, appID, at)
}

func (s *timedStore) ListAppsDueForDeletion(ctx context.Context, now time.Time) ([]string, error) {
	defer s.observe("ListAppsDueForDeletion", time.Now())
	return s.Store.ListAppsDueForDeletion(ctx, now)
}

func (s *timedStore) DeleteApp(ctx context.Context, appID string) error {
	defer s.observe("DeleteApp", time.Now())
	return s.Store.DeleteApp(ctx, appID)
}

func (s *timedStore) AddAPIKey(ctx context.Context, key store.APIKey) error {
	defer s.observe("AddAPIKey", time.Now())
	return s.Store.AddAPIKey(ctx, key)
}

func (s *timedStore) GetAPIKey(ctx context.Context, appID, keyID string) (store.APIKey, error) {
	defer s.observe("GetAPIKey", time.Now())
	return s.Store.GetAPIKey(ctx, appID, keyID)
}

func (s *timedStore) ListAPIKeys(ctx context.Context, appID string) ([]store.APIKey, error) {
	defer s.observe("ListAPIKeys", time.Now())
	return s.Store.ListAPIKeys(ctx, appID)
}

func (s *timedStore) SetAPIKeyLocked(ctx context.Context, appID, keyID string, locked bool, at time.Time) error {
	defer s.observe("SetAPIKeyLocked", time.Now())
	return s.Store.SetAPIKeyLocked(ctx, appID, keyID, locked, at)
}

func (s *timedStore) SetAllAPIKeysLocked(ctx context.Context, appID string, locked bool, at time.Time) error {
	defer s.observe("SetAllAPIKeysLocked", time.Now())
	return s.Store.SetAllAPIKeysLocked(ctx, appID, locked, at)
}

func (s *timedStore) DeleteAPIKey(ctx context.Context, appID, keyID string) error {
	defer s.observe("DeleteAPIKey", time.Now())
	return s.Store.DeleteAPIKey(ctx, appID, keyID)
}

func (s *timedStore) ListTokenKeys(ctx context.Context, appID string) ([]store.TokenKey, error) {
	defer s.observe("ListTokenKeys", time.Now())
	return s.Store.ListTokenKeys(ctx, appID)
}

func (s *timedStore) GetTokenKey(ctx context.Context, appID string, id uint32) (store.TokenKey, error) {
	defer s.observe("GetTokenKey", time.Now())
	return s.Store.GetTokenKey(ctx, appID, id)
}

func (s *timedStore) AddTokenKey(ctx context.Context, key store.TokenKey) error {
	defer s.observe("AddTokenKey", time.Now())
	return s.Store.AddTokenKey(ctx, key)
}

func (s *timedStore) DeleteTokenKeysCreatedBefore(ctx context.Context, appID string, t time.Time) error {
	defer s.observe("DeleteTokenKeysCreatedBefore", time.Now())
	return s.Store.DeleteTokenKeysCreatedBefore(ctx, appID, t)
}

func (s *timedStore) ConsumeOnce(ctx context.Context, appID, id string, expiresAt time.Time) error {
	defer s.observe("ConsumeOnce", time.Now())
	return s.Store.ConsumeOnce(ctx, appID, id, expiresAt)
}

func (s *timedStore) PurgeConsumedBefore(ctx context.Context, t time.Time) error {
	defer s.observe("PurgeConsumedBefore", time.Now())
	return s.Store.PurgeConsumedBefore(ctx, t)
}

func (s *timedStore) AddCredential(ctx context.Context, cred store.Credential, aliases []store.Alias, once *store.Once) error {
	defer s.observe("AddCredential", time.Now())
	return s.Store.AddCredential(ctx, cred, aliases, once)
}

func (s *timedStore) GetCredential(ctx context.Context, appID string, credentialID []byte) (store.Credential, error) {
	defer s.observe("GetCredential", time.Now())
	return s.Store.GetCredential(ctx, appID, credentialID)
}

func (s *timedStore) ListCredentials(ctx context.Context, appID, userID string) ([]store.Credential, error) {
	defer s.observe("ListCredentials", time.Now())
	return s.Store.ListCredentials(ctx, appID, userID)
}

func (s *timedStore) SignIn(ctx context.Context, appID string, credentialID []byte, once *store.Once, check func(store.Credential) (store.CredentialUse, error)) (store.Credential, error) {
	defer s.observe("SignIn", time.Now())
	return s.Store.SignIn(ctx, appID, credentialID, once, check)
}

func (s *timedStore) RecordCredentialUse(ctx context.Context, appID string, credentialID []byte, use store.CredentialUse, once *store.Once) error {
	defer s.observe("RecordCredentialUse", time.Now())
	return s.Store.RecordCredentialUse(ctx, appID, credentialID, use, once)
}

func (s *timedStore) CountUsers(ctx context.Context, appID string) (int64, error) {
	defer s.observe("CountUsers", time.Now())
	return s.Store.CountUsers(ctx, appID)
}

func (s *timedStore) ReplaceAliases(ctx context.Context, appID, userID string, aliases []store.Alias) error {
	defer s.observe("ReplaceAliases", time.Now())
	return s.Store.ReplaceAliases(ctx, appID, userID, aliases)
}

func (s *timedStore) AliasOwner(ctx context.Context, appID, hash string) (string, error) {
	defer s.observe("AliasOwner", time.Now())
	return s.Store.AliasOwner(ctx, appID, hash)
}

func (s *timedStore) ListAliases(ctx context.Context, appID, userID string) ([]store.Alias, error) {
	defer s.observe("ListAliases", time.Now())
	return s.Store.ListAliases(ctx, appID, userID)
}

func (s *timedStore) DeleteCredential(ctx context.Context, appID string, credentialID []byte) (userID string, err error) {
	defer s.observe("DeleteCredential", time.Now())
	return s.Store.DeleteCredential(ctx, appID, credentialID)
}

func (s *timedStore) ListUsers(ctx context.Context, appID string, limit int) ([]store.UserSummary, error) {
	defer s.observe("ListUsers", time.Now())
	return s.Store.ListUsers(ctx, appID, limit)
}

func (s *timedStore) DeleteUser(ctx context.Context, appID, userID string) error {
	defer s.observe("DeleteUser", time.Now())
	return s.Store.DeleteUser(ctx, appID, userID)
}

func (s *timedStore) CountActiveUsers(ctx context.Context, appID string, since time.Time) (int64, error) {
	defer s.observe("CountActiveUsers", time.Now())
	return s.Store.CountActiveUsers(ctx, appID, since)
}

func (s *timedStore) CountCredentials(ctx context.Context, appID string) (int64, error) {
	defer s.observe("CountCredentials", time.Now())
	return s.Store.CountCredentials(ctx, appID)
}

func (s *timedStore) ListAuthConfigs(ctx context.Context, appID string) ([]store.AuthConfig, error) {
	defer s.observe("ListAuthConfigs", time.Now())
	return s.Store.ListAuthConfigs(ctx, appID)
}

func (s *timedStore) GetAuthConfig(ctx context.Context, appID, purpose string) (store.AuthConfig, error) {
	defer s.observe("GetAuthConfig", time.Now())
	return s.Store.GetAuthConfig(ctx, appID, purpose)
}

func (s *timedStore) AddAuthConfig(ctx context.Context, c store.AuthConfig) error {
	defer s.observe("AddAuthConfig", time.Now())
	return s.Store.AddAuthConfig(ctx, c)
}

func (s *timedStore) PutAuthConfig(ctx context.Context, c store.AuthConfig) error {
	defer s.observe("PutAuthConfig", time.Now())
	return s.Store.PutAuthConfig(ctx, c)
}

func (s *timedStore) DeleteAuthConfig(ctx context.Context, appID, purpose string) error {
	defer s.observe("DeleteAuthConfig", time.Now())
	return s.Store.DeleteAuthConfig(ctx, appID, purpose)
}

func (s *timedStore) TouchAuthConfig(ctx context.Context, appID, purpose string, at time.Time, ifMissing store.AuthConfig) error {
	defer s.observe("TouchAuthConfig", time.Now())
	return s.Store.TouchAuthConfig(ctx, appID, purpose, at, ifMissing)
}

func (s *timedStore) AddEvents(ctx context.Context, events []store.Event) error {
	defer s.observe("AddEvents", time.Now())
	return s.Store.AddEvents(ctx, events)
}

func (s *timedStore) ListEvents(ctx context.Context, appID string, offset, limit int) ([]store.Event, int64, error) {
	defer s.observe("ListEvents", time.Now())
	return s.Store.ListEvents(ctx, appID, offset, limit)
}

func (s *timedStore) DeleteEventsBefore(ctx context.Context, appID string, t time.Time) error {
	defer s.observe("DeleteEventsBefore", time.Now())
	return s.Store.DeleteEventsBefore(ctx, appID, t)
}

func (s *timedStore) AddDispatchedEmail(ctx context.Context, e store.DispatchedEmail) error {
	defer s.observe("AddDispatchedEmail", time.Now())
	return s.Store.AddDispatchedEmail(ctx, e)
}

func (s *timedStore) ReserveDispatchedEmail(ctx context.Context, e store.DispatchedEmail, since time.Time, limit int64) error {
	defer s.observe("ReserveDispatchedEmail", time.Now())
	return s.Store.ReserveDispatchedEmail(ctx, e, since, limit)
}

func (s *timedStore) DeleteDispatchedEmail(ctx context.Context, appID, id string) error {
	defer s.observe("DeleteDispatchedEmail", time.Now())
	return s.Store.DeleteDispatchedEmail(ctx, appID, id)
}

func (s *timedStore) CountDispatchedEmailsSince(ctx context.Context, appID string, t time.Time) (int64, error) {
	defer s.observe("CountDispatchedEmailsSince", time.Now())
	return s.Store.CountDispatchedEmailsSince(ctx, appID, t)
}

func (s *timedStore) PurgeDispatchedEmailsBefore(ctx context.Context, t time.Time) error {
	defer s.observe("PurgeDispatchedEmailsBefore", time.Now())
	return s.Store.PurgeDispatchedEmailsBefore(ctx, t)
}

func (s *timedStore) ListAuthenticators(ctx context.Context, appID string, isAllowed bool) ([]store.AuthenticatorEntry, error) {
	defer s.observe("ListAuthenticators", time.Now())
	return s.Store.ListAuthenticators(ctx, appID, isAllowed)
}

func (s *timedStore) PutAuthenticators(ctx context.Context, appID string, aaguids []string, isAllowed bool, now time.Time) error {
	defer s.observe("PutAuthenticators", time.Now())
	return s.Store.PutAuthenticators(ctx, appID, aaguids, isAllowed, now)
}

func (s *timedStore) RemoveAuthenticators(ctx context.Context, appID string, aaguids []string) error {
	defer s.observe("RemoveAuthenticators", time.Now())
	return s.Store.RemoveAuthenticators(ctx, appID, aaguids)
}

func (s *timedStore) PutCredentialReport(ctx context.Context, appID string, r store.CredentialReport) error {
	defer s.observe("PutCredentialReport", time.Now())
	return s.Store.PutCredentialReport(ctx, appID, r)
}

func (s *timedStore) ListCredentialReports(ctx context.Context, appID string, from, to time.Time) ([]store.CredentialReport, error) {
	defer s.observe("ListCredentialReports", time.Now())
	return s.Store.ListCredentialReports(ctx, appID, from, to)
}

func (s *timedStore) PutActiveUserReport(ctx context.Context, appID string, r store.ActiveUserReport) error {
	defer s.observe("PutActiveUserReport", time.Now())
	return s.Store.PutActiveUserReport(ctx, appID, r)
}

func (s *timedStore) ListActiveUserReports(ctx context.Context, appID string, from, to time.Time) ([]store.ActiveUserReport, error) {
	defer s.observe("ListActiveUserReports", time.Now())
	return s.Store.ListActiveUserReports(ctx, appID, from, to)
}

func (s *timedStore) ListAppIDs(ctx context.Context) ([]string, error) {
	defer s.observe("ListAppIDs", time.Now())
	return s.Store.ListAppIDs(ctx)
}

func (s *timedStore) ListCredentialsPage(ctx context.Context, appID string, after []byte, limit int) ([]store.Credential, error) {
	defer s.observe("ListCredentialsPage", time.Now())
	return s.Store.ListCredentialsPage(ctx, appID, after, limit)
}

func (s *timedStore) ImportCredentials(ctx context.Context, creds []store.Credential) error {
	defer s.observe("ImportCredentials", time.Now())
	return s.Store.ImportCredentials(ctx, creds)
}

func (s *timedStore) ListAliasesPage(ctx context.Context, appID, after string, limit int) ([]store.UserAlias, error) {
	defer s.observe("ListAliasesPage", time.Now())
	return s.Store.ListAliasesPage(ctx, appID, after, limit)
}

func (s *timedStore) ImportAliases(ctx context.Context, appID string, aliases []store.UserAlias) error {
	defer s.observe("ImportAliases", time.Now())
	return s.Store.ImportAliases(ctx, appID, aliases)
}

func (s *timedStore) HitRateLimit(ctx context.Context, key string, window, expiresAt time.Time) (int64, error) {
	defer s.observe("HitRateLimit", time.Now())
	return s.Store.HitRateLimit(ctx, key, window, expiresAt)
}

func (s *timedStore) PurgeRateLimitsBefore(ctx context.Context, t time.Time) error {
	defer s.observe("PurgeRateLimitsBefore", time.Now())
	return s.Store.PurgeRateLimitsBefore(ctx, t)
}
