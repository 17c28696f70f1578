// Package storetest is the conformance suite for store.Store backends.
//
// A backend's test calls Run with a function that returns a fresh, empty
// store for each subtest and arranges (with t.Cleanup) for it to be closed.
//
// Beyond the interface's doc comments the suite pins down these details:
//   - times round-trip with at least microsecond precision (the suite only
//     uses microsecond values) and compare with time.Time.Equal;
//   - nil and empty slices (scopes, transports, byte fields, list results)
//     are interchangeable;
//   - RecordCredentialUse with a zero counter is accepted but never lowers
//     the stored counter;
//   - ListAliases orders by the bytes of the hash (use a binary collation);
//   - DeleteApp of an unknown app changes nothing;
//   - Features.AllowedOrigins and AllowedRPIDs keep their order, nil and
//     empty alike;
//   - AuthConfig.TTL round-trips with at least microsecond precision;
//   - event and dispatched e-mail ids are unique across apps: AddEvents with
//     an id already stored returns ErrConflict and writes nothing of the
//     batch, AddDispatchedEmail and ReserveDispatchedEmail return
//     ErrConflict (ReserveDispatchedEmail checks the quota first);
//   - ListUsers and ListEvents return nothing for a limit of 0, and
//     ListEvents still returns the total; the order of
//     UserSummary.AliasPlaintexts is not specified;
//   - the suite passes TouchAuthConfig an ifMissing whose AppID and Purpose
//     equal its arguments;
//   - report dates given to Put are midnight UTC (the suite uses no other),
//     and the List bounds are compared as given.
//   - ListCredentialsPage and ListAliasesPage return nothing for a limit of
//     0 or less; ListCredentialsPage tells a nil after (from the start)
//     from a non-nil empty one (after the empty id);
//   - ImportCredentials and ImportAliases treat an id or hash repeated
//     within the batch as a conflict, like one stored before.
package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// Run runs the whole suite. Each subtest calls open once.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Apps", func(t *testing.T) { runCases(t, open, appCases) })
	t.Run("Features", func(t *testing.T) { runCases(t, open, featureCases) })
	t.Run("Deletion", func(t *testing.T) { runCases(t, open, deletionCases) })
	t.Run("APIKeys", func(t *testing.T) { runCases(t, open, apiKeyCases) })
	t.Run("TokenKeys", func(t *testing.T) { runCases(t, open, tokenKeyCases) })
	t.Run("ConsumeOnce", func(t *testing.T) { runCases(t, open, consumeCases) })
	t.Run("Credentials", func(t *testing.T) { runCases(t, open, credentialCases) })
	t.Run("CredentialUse", func(t *testing.T) { runCases(t, open, credentialUseCases) })
	t.Run("ConsumedWithWrite", func(t *testing.T) { runCases(t, open, onceCases) })
	t.Run("SignIn", func(t *testing.T) { runCases(t, open, signInCases) })
	t.Run("Aliases", func(t *testing.T) { runCases(t, open, aliasCases) })
	t.Run("Users", func(t *testing.T) { runCases(t, open, userCases) })
	t.Run("UserIDs", func(t *testing.T) { runCases(t, open, userIDCases) })
	t.Run("AuthConfigs", func(t *testing.T) { runCases(t, open, authConfigCases) })
	t.Run("Events", func(t *testing.T) { runCases(t, open, eventCases) })
	t.Run("DispatchedEmails", func(t *testing.T) { runCases(t, open, emailCases) })
	t.Run("ReserveDispatchedEmail", func(t *testing.T) { runCases(t, open, reserveCases) })
	t.Run("Authenticators", func(t *testing.T) { runCases(t, open, authenticatorCases) })
	t.Run("Reports", func(t *testing.T) { runCases(t, open, reportCases) })
	t.Run("RateLimits", func(t *testing.T) { runCases(t, open, rateLimitCases) })
	t.Run("CredentialPages", func(t *testing.T) { runCases(t, open, credentialPageCases) })
	t.Run("AliasPages", func(t *testing.T) { runCases(t, open, aliasPageCases) })
	t.Run("ImportCredentials", func(t *testing.T) { runCases(t, open, importCredentialCases) })
	t.Run("ImportAliases", func(t *testing.T) { runCases(t, open, importAliasCases) })
	t.Run("Isolation", func(t *testing.T) { runCases(t, open, isolationCases) })
	t.Run("UserPages", func(t *testing.T) { runCases(t, open, userPageCases) })
	t.Run("ConsoleSessions", func(t *testing.T) { runCases(t, open, consoleSessionCases) })
}

// testCase is one subtest; run gets a fresh store.
type testCase struct {
	name string
	run  func(t *testing.T, s store.Store)
}

func runCases(t *testing.T, open func(t *testing.T) store.Store, cases []testCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// t0 is the suite's reference time. It has microsecond precision and is not
// a whole second, so a backend dropping sub-second digits fails.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// wantEqual compares after the caller normalised both sides and prints
// them as JSON, which shows pointed-to values instead of addresses.
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// Fixtures.

func newApp(id string) store.App {
	return store.App{
		ID:         id,
		AdminEmail: "admin@" + id + ".example",
		CreatedAt:  t0,
		Features: store.Features{
			EventLoggingRetentionDays:  365,
			MagicLinkMonthlyQuota:      2000,
			GenerateSignInTokenEnabled: true,
			MagicLinksEnabled:          true,
		},
	}
}

func newKey(appID, id string, kind store.KeyKind, created time.Time) store.APIKey {
	return store.APIKey{
		AppID:     appID,
		ID:        id,
		Kind:      kind,
		Value:     appID + ":value:" + id,
		Scopes:    []string{"register", "login"},
		CreatedAt: created,
	}
}

func newCred(appID, id, userID string, created time.Time) store.Credential {
	return store.Credential{
		AppID:          appID,
		ID:             []byte(id),
		UserID:         userID,
		UserHandle:     []byte(userID),
		PublicKey:      []byte{0xa5, 0x01, 0x02, 0x03, 0x26},
		SignCount:      1,
		AttestationFmt: "none",
		AAGUID:         []byte{0: 0xad, 15: 0xce},
		CreatedAt:      created,
		LastUsedAt:     created,
		RPID:           "example.com",
		Origin:         "https://example.com",
		Country:        "SE",
		Device:         "Firefox, Windows 11",
		Nickname:       "laptop",
		BackupEligible: true,
		BackupState:    true,
		Discoverable:   ptr(true),
		Transports:     []string{"internal", "hybrid"},
	}
}

func createApp(t *testing.T, s store.Store, id string, keys ...store.APIKey) store.App {
	t.Helper()
	app := newApp(id)
	must(t, s.CreateApp(t.Context(), app, keys))
	return app
}

// Normalisation, so that representation details a backend may choose
// (time location, monotonic reading, nil versus empty) do not count.

func normTime(v time.Time) time.Time { return v.Round(0).UTC() }

func normTimePtr(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	return ptr(normTime(*p))
}

func normBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func normStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func normApp(a store.App) store.App {
	a.CreatedAt = normTime(a.CreatedAt)
	a.DeleteAt = normTimePtr(a.DeleteAt)
	a.Features.DeveloperLoggingEndsAt = normTimePtr(a.Features.DeveloperLoggingEndsAt)
	a.Features.AllowedOrigins = normStrings(a.Features.AllowedOrigins)
	a.Features.AllowedRPIDs = normStrings(a.Features.AllowedRPIDs)
	return a
}

func normKey(k store.APIKey) store.APIKey {
	k.Scopes = normStrings(k.Scopes)
	k.LastLockedAt = normTimePtr(k.LastLockedAt)
	k.LastUnlockedAt = normTimePtr(k.LastUnlockedAt)
	k.CreatedAt = normTime(k.CreatedAt)
	return k
}

func normTokenKey(k store.TokenKey) store.TokenKey {
	k.Material = normBytes(k.Material)
	k.CreatedAt = normTime(k.CreatedAt)
	return k
}

func normCred(c store.Credential) store.Credential {
	c.ID = normBytes(c.ID)
	c.UserHandle = normBytes(c.UserHandle)
	c.PublicKey = normBytes(c.PublicKey)
	c.AAGUID = normBytes(c.AAGUID)
	c.CreatedAt = normTime(c.CreatedAt)
	c.LastUsedAt = normTime(c.LastUsedAt)
	c.Transports = normStrings(c.Transports)
	return c
}

// normUser also sorts the alias plaintexts, whose order is not specified.
func normUser(u store.UserSummary) store.UserSummary {
	u.AliasPlaintexts = normStrings(slices.Sorted(slices.Values(u.AliasPlaintexts)))
	u.LastUsedAt = normTimePtr(u.LastUsedAt)
	return u
}

func normAuthConfig(c store.AuthConfig) store.AuthConfig {
	c.Hints = normStrings(c.Hints)
	c.CreatedOn = normTimePtr(c.CreatedOn)
	c.EditedOn = normTimePtr(c.EditedOn)
	c.LastUsedOn = normTimePtr(c.LastUsedOn)
	return c
}

func normEvent(e store.Event) store.Event {
	e.PerformedAt = normTime(e.PerformedAt)
	return e
}

func normAuthenticator(e store.AuthenticatorEntry) store.AuthenticatorEntry {
	e.CreatedAt = normTime(e.CreatedAt)
	return e
}

func normCredentialReport(r store.CredentialReport) store.CredentialReport {
	r.Date = normTime(r.Date)
	return r
}

func normActiveUserReport(r store.ActiveUserReport) store.ActiveUserReport {
	r.Date = normTime(r.Date)
	return r
}

// normAll normalises a list element-wise; an empty list becomes nil.
func normAll[T any](list []T, norm func(T) T) []T {
	if len(list) == 0 {
		return nil
	}
	out := make([]T, len(list))
	for i, v := range list {
		out[i] = norm(v)
	}
	return out
}

func same[T any](v T) T { return v }
