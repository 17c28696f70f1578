package storetest

import (
	"context"
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
		}},
		{"zero max users", store.Features{MaxUsers: ptr(int64(0)), DeveloperLoggingEndsAt: ptr(t0)}},
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
				must(t, s.CreateApp(t.Context(), app, nil))
				must(t, s.UpdateFeatures(t.Context(), "app1", v.f))
				wantFeatures(t, s, "app1", v.f)
			}},
		)
	}
	return append(cases, testCase{"update unknown", func(t *testing.T, s store.Store) {
		wantErr(t, s.UpdateFeatures(t.Context(), "nope", store.Features{}), store.ErrNotFound)
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
	must(t, s.AddCredential(ctx, newCred(appID, "cred1", "user1", t0), []store.Alias{{Hash: "hash1"}}))
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
}

// snapshot reads an app's rows, for users "user1" and "user2" and the
// alias "hash1". It does not include single-use records, which can only be
// observed by consuming them.
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
