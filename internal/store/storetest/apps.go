package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

var appCases = []testCase{
	{"create and get", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must(t, s.Ping(ctx))
		app := newApp("app1")
		keys := []store.APIKey{
			newKey("app1", "pub1", store.KeyPublic, t0),
			newKey("app1", "sec1", store.KeySecret, t0),
		}
		must(t, s.CreateApp(ctx, app, keys))
		got, err := s.GetApp(ctx, "app1")
		must(t, err)
		wantEqual(t, "app", normApp(got), normApp(app))
		gotKeys, err := s.ListAPIKeys(ctx, "app1")
		must(t, err)
		wantEqual(t, "keys", normAll(gotKeys, normKey), normAll(keys, normKey))
	}},
	{"create without keys", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		keys, err := s.ListAPIKeys(t.Context(), "app1")
		must(t, err)
		wantEqual(t, "keys", len(keys), 0)
	}},
	{"get unknown", func(t *testing.T, s store.Store) {
		_, err := s.GetApp(t.Context(), "nope")
		wantErr(t, err, store.ErrNotFound)
	}},
	{"duplicate id conflicts and writes nothing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		orig := createApp(t, s, "app1", newKey("app1", "old1", store.KeyPublic, t0))
		dup := newApp("app1")
		dup.AdminEmail = "other@example.com"
		err := s.CreateApp(ctx, dup, []store.APIKey{newKey("app1", "new1", store.KeySecret, t0)})
		wantErr(t, err, store.ErrConflict)
		got, err := s.GetApp(ctx, "app1")
		must(t, err)
		wantEqual(t, "app", normApp(got), normApp(orig))
		_, err = s.GetAPIKey(ctx, "app1", "new1")
		wantErr(t, err, store.ErrNotFound)
	}},
	{"list app ids", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		got, err := s.ListAppIDs(ctx)
		must(t, err)
		wantEqual(t, "app ids", len(got), 0)
		for _, id := range []string{"c-app", "a-app", "b-app"} {
			createApp(t, s, id)
		}
		must(t, s.SetDeleteAt(ctx, "b-app", ptr(t0)))
		got, err = s.ListAppIDs(ctx)
		must(t, err)
		wantEqual(t, "app ids", got, []string{"a-app", "b-app", "c-app"})
		must(t, s.DeleteApp(ctx, "b-app"))
		got, err = s.ListAppIDs(ctx)
		must(t, err)
		wantEqual(t, "app ids after delete", got, []string{"a-app", "c-app"})
	}},
	{"duplicate key id in create writes nothing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		keys := []store.APIKey{
			newKey("app1", "same", store.KeyPublic, t0),
			newKey("app1", "same", store.KeySecret, t0),
		}
		wantErr(t, s.CreateApp(ctx, newApp("app1"), keys), store.ErrConflict)
		_, err := s.GetApp(ctx, "app1")
		wantErr(t, err, store.ErrNotFound)
		_, err = s.GetAPIKey(ctx, "app1", "same")
		wantErr(t, err, store.ErrNotFound)
	}},
}

var featureCases = func() []testCase {
	variants := []struct {
		name string
		f    store.Features
	}{
		{"zero", store.Features{}},
		{"nil pointers", store.Features{
			EventLoggingEnabled:        true,
			EventLoggingRetentionDays:  30,
			MagicLinkMonthlyQuota:      500,
			GenerateSignInTokenEnabled: true,
		}},
		{"all set", store.Features{
			EventLoggingEnabled:        true,
			EventLoggingRetentionDays:  7,
			MagicLinkMonthlyQuota:      100,
			MaxUsers:                   ptr(int64(10_000_000_000)),
			AllowAttestation:           true,
			GenerateSignInTokenEnabled: true,
			MagicLinksEnabled:          true,
			DeveloperLoggingEndsAt:     ptr(at(90 * time.Minute)),
			AllowedOrigins:             []string{"https://b.example.com", "https://a.example.com", `quote"d,comma`},
			AllowedRPIDs:               []string{"example.com", "b.example.com"},
		}},
		{"zero max users", store.Features{MaxUsers: ptr(int64(0)), DeveloperLoggingEndsAt: ptr(t0)}},
		{"empty lists", store.Features{AllowedOrigins: []string{}, AllowedRPIDs: []string{}}},
		{"one list", store.Features{AllowedRPIDs: []string{"example.com"}}},
	}
	var cases []testCase
	for _, v := range variants {
		cases = append(cases,
			testCase{"create " + v.name, func(t *testing.T, s store.Store) {
				app := newApp("app1")
				app.Features = v.f
				must(t, s.CreateApp(t.Context(), app, nil))
				wantFeatures(t, s, "app1", v.f)
			}},
			testCase{"update to " + v.name, func(t *testing.T, s store.Store) {
				app := newApp("app1")
				app.Features.MaxUsers = ptr(int64(5))
				app.Features.DeveloperLoggingEndsAt = ptr(t0)
				app.Features.AllowedOrigins = []string{"https://old.example.com"}
				app.Features.AllowedRPIDs = []string{"old.example.com"}
				must(t, s.CreateApp(t.Context(), app, nil))
				must(t, s.UpdateFeatures(t.Context(), "app1", store.AllFeatures(v.f)))
				wantFeatures(t, s, "app1", v.f)
			}},
		)
	}
	return append(append(cases, partialFeatureCases...), testCase{"update unknown", func(t *testing.T, s store.Store) {
		wantErr(t, s.UpdateFeatures(t.Context(), "nope", store.AllFeatures(store.Features{})), store.ErrNotFound)
		wantErr(t, s.UpdateFeatures(t.Context(), "nope", store.FeaturesUpdate{}), store.ErrNotFound)
	}})
}()

// fullFeatures has every member set to a value no single update below
// writes, so a member overwritten by mistake shows.
var fullFeatures = store.Features{
	EventLoggingEnabled:        true,
	EventLoggingRetentionDays:  30,
	MagicLinkMonthlyQuota:      500,
	MaxUsers:                   ptr(int64(100)),
	AllowAttestation:           true,
	GenerateSignInTokenEnabled: true,
	MagicLinksEnabled:          true,
	DeveloperLoggingEndsAt:     ptr(at(time.Hour)),
	AllowedOrigins:             []string{"https://a.example.com"},
	AllowedRPIDs:               []string{"a.example.com"},
}

// partialFeatureCases write one member at a time: only that member
// changes, and updates of different members, each made without reading
// the other's result, both survive.
var partialFeatureCases = func() []testCase {
	members := []struct {
		name   string
		update store.FeaturesUpdate
		apply  func(f *store.Features)
	}{
		{"event logging", store.FeaturesUpdate{EventLoggingEnabled: store.To(false)}, func(f *store.Features) { f.EventLoggingEnabled = false }},
		{"retention", store.FeaturesUpdate{EventLoggingRetentionDays: store.To(7)}, func(f *store.Features) { f.EventLoggingRetentionDays = 7 }},
		{"quota", store.FeaturesUpdate{MagicLinkMonthlyQuota: store.To(0)}, func(f *store.Features) { f.MagicLinkMonthlyQuota = 0 }},
		{"max users", store.FeaturesUpdate{MaxUsers: store.To(ptr(int64(5)))}, func(f *store.Features) { f.MaxUsers = ptr(int64(5)) }},
		{"max users cleared", store.FeaturesUpdate{MaxUsers: store.To[*int64](nil)}, func(f *store.Features) { f.MaxUsers = nil }},
		{"attestation", store.FeaturesUpdate{AllowAttestation: store.To(false)}, func(f *store.Features) { f.AllowAttestation = false }},
		{"generate token", store.FeaturesUpdate{GenerateSignInTokenEnabled: store.To(false)}, func(f *store.Features) { f.GenerateSignInTokenEnabled = false }},
		{"magic links", store.FeaturesUpdate{MagicLinksEnabled: store.To(false)}, func(f *store.Features) { f.MagicLinksEnabled = false }},
		{"developer logging cleared", store.FeaturesUpdate{DeveloperLoggingEndsAt: store.To[*time.Time](nil)}, func(f *store.Features) { f.DeveloperLoggingEndsAt = nil }},
		{"origins", store.FeaturesUpdate{AllowedOrigins: store.To([]string{"https://b.example.com", "https://c.example.com"})},
			func(f *store.Features) { f.AllowedOrigins = []string{"https://b.example.com", "https://c.example.com"} }},
		{"rp ids cleared", store.FeaturesUpdate{AllowedRPIDs: store.To([]string{})}, func(f *store.Features) { f.AllowedRPIDs = nil }},
		{"nothing", store.FeaturesUpdate{}, func(*store.Features) {}},
	}
	createFull := func(t *testing.T, s store.Store) {
		app := newApp("app1")
		app.Features = fullFeatures
		must(t, s.CreateApp(t.Context(), app, nil))
	}
	var cases []testCase
	for _, m := range members {
		cases = append(cases, testCase{"partial update " + m.name, func(t *testing.T, s store.Store) {
			createFull(t, s)
			must(t, s.UpdateFeatures(t.Context(), "app1", m.update))
			want := fullFeatures
			m.apply(&want)
			wantFeatures(t, s, "app1", want)
		}})
	}
	return append(cases, testCase{"partial updates of different members both survive", func(t *testing.T, s store.Store) {
		createFull(t, s)
		// As a management change on one instance and a self-service
		// toggle on another would, neither having seen the other.
		must(t, s.UpdateFeatures(t.Context(), "app1", store.FeaturesUpdate{AllowedOrigins: store.To([]string{"https://new.example.com"})}))
		must(t, s.UpdateFeatures(t.Context(), "app1", store.FeaturesUpdate{MagicLinksEnabled: store.To(false)}))
		want := fullFeatures
		want.AllowedOrigins = []string{"https://new.example.com"}
		want.MagicLinksEnabled = false
		wantFeatures(t, s, "app1", want)
	}}, testCase{"concurrent partial updates of different members all survive", func(t *testing.T, s store.Store) {
		createFull(t, s)
		updates := []store.FeaturesUpdate{
			{EventLoggingRetentionDays: store.To(1)},
			{MagicLinkMonthlyQuota: store.To(2)},
			{MaxUsers: store.To(ptr(int64(3)))},
			{MagicLinksEnabled: store.To(false)},
			{GenerateSignInTokenEnabled: store.To(false)},
			{AllowedOrigins: store.To([]string{"https://d.example.com"})},
			{AllowedRPIDs: store.To([]string{"d.example.com"})},
		}
		errs := make(chan error, len(updates))
		for _, u := range updates {
			go func() { errs <- s.UpdateFeatures(t.Context(), "app1", u) }()
		}
		for range updates {
			must(t, <-errs)
		}
		want := fullFeatures
		want.EventLoggingRetentionDays, want.MagicLinkMonthlyQuota, want.MaxUsers = 1, 2, ptr(int64(3))
		want.MagicLinksEnabled, want.GenerateSignInTokenEnabled = false, false
		want.AllowedOrigins, want.AllowedRPIDs = []string{"https://d.example.com"}, []string{"d.example.com"}
		wantFeatures(t, s, "app1", want)
	}})
}()

func wantFeatures(t *testing.T, s store.Store, appID string, want store.Features) {
	t.Helper()
	got, err := s.GetApp(t.Context(), appID)
	must(t, err)
	wantEqual(t, "features", normApp(got).Features, normApp(store.App{Features: want}).Features)
}

var deletionCases = []testCase{
	{"schedule and unschedule", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.SetDeleteAt(ctx, "app1", ptr(at(time.Hour))))
		got, err := s.GetApp(ctx, "app1")
		must(t, err)
		wantEqual(t, "delete at", normTimePtr(got.DeleteAt), ptr(at(time.Hour)))
		must(t, s.SetDeleteAt(ctx, "app1", nil))
		got, err = s.GetApp(ctx, "app1")
		must(t, err)
		wantEqual(t, "delete at", got.DeleteAt, (*time.Time)(nil))
	}},
	{"schedule unknown", func(t *testing.T, s store.Store) {
		wantErr(t, s.SetDeleteAt(t.Context(), "nope", ptr(t0)), store.ErrNotFound)
		wantErr(t, s.SetDeleteAt(t.Context(), "nope", nil), store.ErrNotFound)
	}},
	{"due for deletion", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		schedule := map[string]*time.Time{
			"d-later":  ptr(at(time.Microsecond)),
			"c-now":    ptr(t0),
			"b-never":  nil,
			"a-past":   ptr(at(-24 * time.Hour)),
			"e-before": ptr(at(-time.Microsecond)),
		}
		for id, when := range schedule {
			createApp(t, s, id)
			if when != nil {
				must(t, s.SetDeleteAt(ctx, id, when))
			}
		}
		got, err := s.ListAppsDueForDeletion(ctx, t0)
		must(t, err)
		wantEqual(t, "due", got, []string{"a-past", "c-now", "e-before"})
		got, err = s.ListAppsDueForDeletion(ctx, at(-48*time.Hour))
		must(t, err)
		wantEqual(t, "due long ago", len(got), 0)
	}},
	{"delete removes everything of the app only", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		populate(t, s, "gone")
		populate(t, s, "kept")
		before := snapshot(t, s, "kept")
		must(t, s.DeleteApp(ctx, "gone"))
		wantGone(t, s, "gone")
		wantEqual(t, "other app", snapshot(t, s, "kept"), before)
	}},
	{"delete unknown", func(t *testing.T, s store.Store) {
		populate(t, s, "app1")
		before := snapshot(t, s, "app1")
		wantErr(t, s.DeleteApp(t.Context(), "nope"), store.ErrNotFound)
		wantEqual(t, "app", snapshot(t, s, "app1"), before)
	}},
	{"id reusable after delete", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		populate(t, s, "app1")
		must(t, s.DeleteApp(ctx, "app1"))
		// Every id populate writes is free again.
		populate(t, s, "app1")
	}},
}

// populate creates an app with one row of every kind.
func populate(t *testing.T, s store.Store, appID string) {
	t.Helper()
	ctx := t.Context()
	createApp(t, s, appID, newKey(appID, "pub1", store.KeyPublic, t0))
	must(t, s.SetDeleteAt(ctx, appID, ptr(at(-time.Hour))))
	must(t, s.AddTokenKey(ctx, store.TokenKey{AppID: appID, ID: 7, Material: []byte("material"), CreatedAt: t0}))
	must(t, s.ConsumeOnce(ctx, appID, "session1", at(time.Hour)))
	must(t, s.AddCredential(ctx, newCred(appID, "cred1", "user1", t0), []store.Alias{{Hash: "hash1"}}, nil))
	must(t, s.ReplaceAliases(ctx, appID, "user2", []store.Alias{{Hash: "hash2", Plaintext: "bob"}}))
	must(t, s.AddAuthConfig(ctx, newAuthConfig(appID, "sign-in")))
	must(t, s.AddEvents(ctx, []store.Event{newEvent(appID, appID+"-event1", t0)}))
	must(t, s.AddDispatchedEmail(ctx, newEmail(appID, appID+"-email1", t0)))
	must(t, s.PutAuthenticators(ctx, appID, []string{aaguid1}, true, t0))
	must(t, s.PutAuthenticators(ctx, appID, []string{aaguid2}, false, t0))
	must(t, s.PutCredentialReport(ctx, appID, store.CredentialReport{Date: day(0), Users: 1, Credentials: 1}))
	must(t, s.PutActiveUserReport(ctx, appID, store.ActiveUserReport{Date: day(0), Daily: 1, Weekly: 1, Total: 1}))
}

// wantGone checks that no row of a populated app is left.
func wantGone(t *testing.T, s store.Store, appID string) {
	t.Helper()
	ctx := t.Context()
	_, err := s.GetApp(ctx, appID)
	wantErr(t, err, store.ErrNotFound)
	wantEqual(t, "rows left", snapshot(t, s, appID), appState{})
	due, err := s.ListAppsDueForDeletion(ctx, t0)
	must(t, err)
	for _, id := range due {
		if id == appID {
			t.Fatalf("deleted app %q still due for deletion", appID)
		}
	}
	ids, err := s.ListAppIDs(ctx)
	must(t, err)
	if slices.Contains(ids, appID) {
		t.Fatalf("deleted app %q still listed", appID)
	}
	// The single-use record is gone too: the id can be consumed again.
	must(t, s.ConsumeOnce(ctx, appID, "session1", at(time.Hour)))
}

// appState is everything the store returns about an app's rows.
type appState struct {
	App         *store.App
	APIKeys     []store.APIKey
	TokenKeys   []store.TokenKey
	Credentials []store.Credential
	Aliases     []store.Alias
	Users       int64
	AliasOwner  string

	UserList          []store.UserSummary
	ActiveUsers       int64
	CredentialCount   int64
	AuthConfigs       []store.AuthConfig
	Events            []store.Event
	EventTotal        int64
	Emails            int64
	Allowed, Blocked  []store.AuthenticatorEntry
	CredentialReports []store.CredentialReport
	ActiveUserReports []store.ActiveUserReport
	CredentialPage    []store.Credential
	AliasPage         []store.UserAlias
}

// snapshot reads an app's rows, for users "user1" and "user2" and the
// alias "hash1", and every list and count of the app. It does not include
// single-use records, which can only be observed by consuming them.
func snapshot(t *testing.T, s store.Store, appID string) appState {
	t.Helper()
	ctx := t.Context()
	var st appState
	if app, err := s.GetApp(ctx, appID); err == nil {
		st.App = ptr(normApp(app))
	} else {
		wantErr(t, err, store.ErrNotFound)
	}
	keys, err := s.ListAPIKeys(ctx, appID)
	must(t, err)
	st.APIKeys = normAll(keys, normKey)
	tokenKeys, err := s.ListTokenKeys(ctx, appID)
	must(t, err)
	st.TokenKeys = normAll(tokenKeys, normTokenKey)
	st.Credentials, st.Aliases = userRows(t, s, appID, "user1", "user2")
	st.Users, err = s.CountUsers(ctx, appID)
	must(t, err)
	st.AliasOwner = aliasOwner(ctx, t, s, appID, "hash1")

	users, err := s.ListUsers(ctx, appID, 1000)
	must(t, err)
	st.UserList = normAll(users, normUser)
	st.ActiveUsers, err = s.CountActiveUsers(ctx, appID, time.Time{})
	must(t, err)
	st.CredentialCount, err = s.CountCredentials(ctx, appID)
	must(t, err)
	configs, err := s.ListAuthConfigs(ctx, appID)
	must(t, err)
	st.AuthConfigs = normAll(configs, normAuthConfig)
	events, total, err := s.ListEvents(ctx, appID, 0, 1000)
	must(t, err)
	st.Events, st.EventTotal = normAll(events, normEvent), total
	st.Emails, err = s.CountDispatchedEmailsSince(ctx, appID, time.Time{})
	must(t, err)
	allowed, err := s.ListAuthenticators(ctx, appID, true)
	must(t, err)
	st.Allowed = normAll(allowed, normAuthenticator)
	blocked, err := s.ListAuthenticators(ctx, appID, false)
	must(t, err)
	st.Blocked = normAll(blocked, normAuthenticator)
	credReports, err := s.ListCredentialReports(ctx, appID, time.Time{}, time.Time{})
	must(t, err)
	st.CredentialReports = normAll(credReports, normCredentialReport)
	activeReports, err := s.ListActiveUserReports(ctx, appID, time.Time{}, time.Time{})
	must(t, err)
	st.ActiveUserReports = normAll(activeReports, normActiveUserReport)
	credPage, err := s.ListCredentialsPage(ctx, appID, nil, 1000)
	must(t, err)
	st.CredentialPage = normAll(credPage, normCred)
	aliasPage, err := s.ListAliasesPage(ctx, appID, "", 1000)
	must(t, err)
	st.AliasPage = normAll(aliasPage, same)
	return st
}

func userRows(t *testing.T, s store.Store, appID string, users ...string) ([]store.Credential, []store.Alias) {
	t.Helper()
	var creds []store.Credential
	var aliases []store.Alias
	for _, u := range users {
		c, err := s.ListCredentials(t.Context(), appID, u)
		must(t, err)
		creds = append(creds, normAll(c, normCred)...)
		a, err := s.ListAliases(t.Context(), appID, u)
		must(t, err)
		aliases = append(aliases, a...)
	}
	return creds, aliases
}

// aliasOwner returns the owner or "" when the alias is unknown.
func aliasOwner(ctx context.Context, t *testing.T, s store.Store, appID, hash string) string {
	t.Helper()
	owner, err := s.AliasOwner(ctx, appID, hash)
	if err != nil {
		wantErr(t, err, store.ErrNotFound)
		return ""
	}
	return owner
}
