package storetest

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

var credentialCases = []testCase{
	{"add and get", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		full := newCred("app1", "cred-full", "user1", t0)
		full.SignCount = math.MaxUint32
		full.LastUsedAt = at(time.Hour)
		sparse := store.Credential{
			AppID:      "app1",
			ID:         []byte{0x00, 0xff, 0x00},
			UserID:     "user2",
			UserHandle: []byte("user2"),
			PublicKey:  []byte{0xa4},
			CreatedAt:  t0,
			LastUsedAt: t0,
		}
		notDiscoverable := newCred("app1", "cred-nd", "user1", t0)
		notDiscoverable.Discoverable = ptr(false)
		notDiscoverable.BackupEligible, notDiscoverable.BackupState = false, false
		for _, c := range []store.Credential{full, sparse, notDiscoverable} {
			must(t, s.AddCredential(ctx, c, nil, nil))
			wantCred(t, s, c)
		}
	}},
	{"get unknown", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		must(t, s.AddCredential(t.Context(), newCred("app1", "cred1", "user1", t0), nil, nil))
		_, err := s.GetCredential(t.Context(), "app1", []byte("cred2"))
		wantErr(t, err, store.ErrNotFound)
		_, err = s.GetCredential(t.Context(), "app1", []byte("cred"))
		wantErr(t, err, store.ErrNotFound)
	}},
	{"duplicate id", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		orig := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(ctx, orig, nil, nil))
		dup := newCred("app1", "cred1", "user2", at(time.Hour))
		wantErr(t, s.AddCredential(ctx, dup, nil, nil), store.ErrConflict)
		wantCred(t, s, orig)
		wantCreds(t, s, "app1", "user2")
	}},
	{"same id in another app", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		c1 := newCred("app1", "cred1", "user1", t0)
		c2 := newCred("app2", "cred1", "user9", at(time.Hour))
		must(t, s.AddCredential(ctx, c1, nil, nil))
		must(t, s.AddCredential(ctx, c2, nil, nil))
		wantCred(t, s, c1)
		wantCred(t, s, c2)
	}},
	{"list by user oldest first", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		c1 := newCred("app1", "c-late", "user1", at(time.Hour))
		c2 := newCred("app1", "c-early", "user1", at(-time.Hour))
		c3 := newCred("app1", "c-mid", "user1", at(time.Microsecond))
		other := newCred("app1", "c-other", "user2", t0)
		for _, c := range []store.Credential{c1, c2, other, c3} {
			must(t, s.AddCredential(ctx, c, nil, nil))
		}
		wantCreds(t, s, "app1", "user1", c2, c3, c1)
		wantCreds(t, s, "app1", "user2", other)
		wantCreds(t, s, "app1", "nobody")
	}},
	{"count users", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		wantUsers(t, s, "app1", 0)
		for _, c := range []store.Credential{
			newCred("app1", "c1", "user1", t0),
			newCred("app1", "c2", "user1", t0),
			newCred("app1", "c3", "user2", t0),
			newCred("app2", "c4", "user3", t0),
		} {
			must(t, s.AddCredential(ctx, c, nil, nil))
		}
		wantUsers(t, s, "app1", 2)
		wantUsers(t, s, "app2", 1)
	}},
}

// credentialUseCases covers the counter rules of RecordCredentialUse: a
// zero reported counter is always accepted, a greater one is accepted,
// anything else is a regression that changes nothing.
var credentialUseCases = func() []testCase {
	rules := []struct {
		name      string
		stored    uint32
		reported  uint32
		wantErr   error
		wantCount uint32
	}{
		{"zero on zero", 0, 0, nil, 0},
		{"zero keeps stored counter", 10, 0, nil, 10},
		{"first counter", 0, 1, nil, 1},
		{"greater", 10, 11, nil, 11},
		{"max", 10, math.MaxUint32, nil, math.MaxUint32},
		{"equal", 10, 10, store.ErrCounterRegression, 10},
		{"smaller", 10, 5, store.ErrCounterRegression, 10},
		{"smaller than max", math.MaxUint32, 1, store.ErrCounterRegression, math.MaxUint32},
	}
	var cases []testCase
	for _, r := range rules {
		cases = append(cases, testCase{r.name, func(t *testing.T, s store.Store) {
			createApp(t, s, "app1")
			c := newCred("app1", "cred1", "user1", t0)
			c.SignCount = r.stored
			must(t, s.AddCredential(t.Context(), c, nil, nil))
			use := store.CredentialUse{SignCount: r.reported, LastUsedAt: at(time.Hour), Device: "Safari, iOS", Country: "NO",
				BackupEligible: true, BackupState: false}
			err := s.RecordCredentialUse(t.Context(), "app1", c.ID, use, nil)
			if r.wantErr != nil {
				wantErr(t, err, r.wantErr)
			} else {
				must(t, err)
				applyUse(&c, use)
			}
			c.SignCount = r.wantCount
			wantCred(t, s, c)
		}})
	}
	for _, f := range []struct{ stored, reported [2]bool }{
		{[2]bool{false, false}, [2]bool{true, true}},
		{[2]bool{true, true}, [2]bool{true, false}},
		{[2]bool{true, false}, [2]bool{false, false}},
	} {
		name := fmt.Sprintf("backup flags %v become %v", f.stored, f.reported)
		cases = append(cases, testCase{name, func(t *testing.T, s store.Store) {
			createApp(t, s, "app1")
			c := newCred("app1", "cred1", "user1", t0)
			c.BackupEligible, c.BackupState = f.stored[0], f.stored[1]
			must(t, s.AddCredential(t.Context(), c, nil, nil))
			use := store.CredentialUse{SignCount: 0, LastUsedAt: at(time.Hour), BackupEligible: f.reported[0], BackupState: f.reported[1]}
			must(t, s.RecordCredentialUse(t.Context(), "app1", c.ID, use, nil))
			applyUse(&c, use)
			wantCred(t, s, c)
		}})
	}
	return append(cases, testCase{"missing", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		must(t, s.AddCredential(t.Context(), newCred("app1", "cred1", "user1", t0), nil, nil))
		for _, n := range []uint32{0, 5} {
			use := store.CredentialUse{SignCount: n, LastUsedAt: t0}
			wantErr(t, s.RecordCredentialUse(t.Context(), "app1", []byte("cred2"), use, nil), store.ErrNotFound)
		}
	}})
}()

// applyUse sets what a successful RecordCredentialUse changes besides the
// counter, whose rules the callers apply.
func applyUse(c *store.Credential, use store.CredentialUse) {
	c.LastUsedAt, c.Device, c.Country = use.LastUsedAt, use.Device, use.Country
	c.BackupEligible, c.BackupState = use.BackupEligible, use.BackupState
}

func wantCred(t *testing.T, s store.Store, want store.Credential) {
	t.Helper()
	got, err := s.GetCredential(t.Context(), want.AppID, want.ID)
	must(t, err)
	wantEqual(t, "credential "+string(want.ID), normCred(got), normCred(want))
}

func wantCreds(t *testing.T, s store.Store, appID, userID string, want ...store.Credential) {
	t.Helper()
	got, err := s.ListCredentials(t.Context(), appID, userID)
	must(t, err)
	wantEqual(t, "credentials of "+userID, normAll(got, normCred), normAll(want, normCred))
}

func wantUsers(t *testing.T, s store.Store, appID string, want int64) {
	t.Helper()
	got, err := s.CountUsers(t.Context(), appID)
	must(t, err)
	wantEqual(t, "users of "+appID, got, want)
}
