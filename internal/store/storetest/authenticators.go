package storetest

import (
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// AAGUIDs in ascending order.
const (
	aaguid1 = "08987058-cadc-4b81-b6e1-30de50dcbe96"
	aaguid2 = "2fc0579f-8113-47ea-b116-bb5a8db9202a"
	aaguid3 = "973446ca-e21c-9a9b-99f5-9b985a67af0f"
	aaguid4 = "ee882879-721c-4913-9775-3dfcce97072a"
)

func entry(aaguid string, allowed bool, created time.Time) store.AuthenticatorEntry {
	return store.AuthenticatorEntry{AAGUID: aaguid, IsAllowed: allowed, CreatedAt: created}
}

var authenticatorCases = []testCase{
	{"put and list by kind", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		wantAuthenticators(t, s, "app1", true)
		wantAuthenticators(t, s, "app1", false)
		must(t, s.PutAuthenticators(ctx, "app1", []string{aaguid3, aaguid1}, true, t0))
		must(t, s.PutAuthenticators(ctx, "app1", []string{aaguid4, aaguid2}, false, at(time.Hour)))
		wantAuthenticators(t, s, "app1", true, entry(aaguid1, true, t0), entry(aaguid3, true, t0))
		wantAuthenticators(t, s, "app1", false, entry(aaguid2, false, at(time.Hour)), entry(aaguid4, false, at(time.Hour)))
	}},
	{"put flips kind and keeps created at", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.PutAuthenticators(ctx, "app1", []string{aaguid1, aaguid2}, true, t0))
		must(t, s.PutAuthenticators(ctx, "app1", []string{aaguid2, aaguid3}, false, at(time.Hour)))
		wantAuthenticators(t, s, "app1", true, entry(aaguid1, true, t0))
		wantAuthenticators(t, s, "app1", false, entry(aaguid2, false, t0), entry(aaguid3, false, at(time.Hour)))
		// Putting again with the same kind changes nothing.
		must(t, s.PutAuthenticators(ctx, "app1", []string{aaguid1}, true, at(2*time.Hour)))
		must(t, s.PutAuthenticators(ctx, "app1", []string{aaguid2}, true, at(2*time.Hour)))
		wantAuthenticators(t, s, "app1", true, entry(aaguid1, true, t0), entry(aaguid2, true, t0))
		wantAuthenticators(t, s, "app1", false, entry(aaguid3, false, at(time.Hour)))
	}},
	{"put empty and duplicates", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.PutAuthenticators(ctx, "app1", nil, true, t0))
		must(t, s.PutAuthenticators(ctx, "app1", []string{}, false, t0))
		wantAuthenticators(t, s, "app1", true)
		wantAuthenticators(t, s, "app1", false)
		must(t, s.PutAuthenticators(ctx, "app1", []string{aaguid1, aaguid1}, false, t0))
		wantAuthenticators(t, s, "app1", false, entry(aaguid1, false, t0))
	}},
	{"remove", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		must(t, s.PutAuthenticators(ctx, "app1", []string{aaguid1, aaguid2}, true, t0))
		must(t, s.PutAuthenticators(ctx, "app1", []string{aaguid3}, false, t0))
		must(t, s.PutAuthenticators(ctx, "app2", []string{aaguid1}, true, t0))
		must(t, s.RemoveAuthenticators(ctx, "app1", []string{aaguid1, aaguid3, aaguid4}))
		wantAuthenticators(t, s, "app1", true, entry(aaguid2, true, t0))
		wantAuthenticators(t, s, "app1", false)
		wantAuthenticators(t, s, "app2", true, entry(aaguid1, true, t0))
		must(t, s.RemoveAuthenticators(ctx, "app1", nil))
		must(t, s.RemoveAuthenticators(ctx, "app1", []string{}))
		wantAuthenticators(t, s, "app1", true, entry(aaguid2, true, t0))
		// A removed entry comes back with a new CreatedAt.
		must(t, s.PutAuthenticators(ctx, "app1", []string{aaguid1}, true, at(time.Hour)))
		wantAuthenticators(t, s, "app1", true, entry(aaguid1, true, at(time.Hour)), entry(aaguid2, true, t0))
	}},
}

func wantAuthenticators(t *testing.T, s store.Store, appID string, allowed bool, want ...store.AuthenticatorEntry) {
	t.Helper()
	got, err := s.ListAuthenticators(t.Context(), appID, allowed)
	must(t, err)
	what := "block list of " + appID
	if allowed {
		what = "allow list of " + appID
	}
	wantEqual(t, what, normAll(got, normAuthenticator), normAll(want, normAuthenticator))
}
