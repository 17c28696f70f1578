package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// onceCases cover the single-use identifier consumed together with a write
// (AddCredential, RecordCredentialUse): consumed only if the write
// succeeds, and the write refused with ErrAlreadyUsed, changing nothing,
// if it was consumed before.
var onceCases = []testCase{
	{"add credential consumes once", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		c := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(ctx, c, []store.Alias{aliasA}, newOnce("session1")))
		wantCred(t, s, c)
		wantAliases(t, s, "app1", "user1", aliasA)
		wantConsumed(t, s, "app1", "session1")
		// Consumed for the credential's app only.
		must(t, s.ConsumeOnce(ctx, "app2", "session1", at(time.Hour)))
	}},
	{"add credential with used once writes nothing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA}))
		must(t, s.ConsumeOnce(ctx, "app1", "session1", at(time.Hour)))
		c := newCred("app1", "cred1", "user1", t0)
		wantErr(t, s.AddCredential(ctx, c, []store.Alias{aliasB}, newOnce("session1")), store.ErrAlreadyUsed)
		_, err := s.GetCredential(ctx, "app1", c.ID)
		wantErr(t, err, store.ErrNotFound)
		wantUsers(t, s, "app1", 0)
		wantAliases(t, s, "app1", "user1", aliasA)
		wantOwner(t, s, "app1", aliasB.Hash, "")
	}},
	{"add credential checks once first", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		orig := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(ctx, orig, nil, newOnce("session1")))
		dup := newCred("app1", "cred1", "user2", at(time.Hour))
		wantErr(t, s.AddCredential(ctx, dup, nil, newOnce("session1")), store.ErrAlreadyUsed)
		wantCred(t, s, orig)
	}},
	{"add duplicate credential leaves once unconsumed", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		orig := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(ctx, orig, nil, nil))
		dup := newCred("app1", "cred1", "user2", at(time.Hour))
		wantErr(t, s.AddCredential(ctx, dup, []store.Alias{aliasB}, newOnce("session1")), store.ErrConflict)
		wantCred(t, s, orig)
		wantOwner(t, s, "app1", aliasB.Hash, "")
		wantUnconsumed(t, s, "app1", "session1")
	}},
	{"add credential with conflicting alias leaves once unconsumed", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA}))
		c := newCred("app1", "cred1", "user2", t0)
		wantErr(t, s.AddCredential(ctx, c, []store.Alias{aliasA}, newOnce("session1")), store.ErrAliasConflict)
		_, err := s.GetCredential(ctx, "app1", c.ID)
		wantErr(t, err, store.ErrNotFound)
		wantUnconsumed(t, s, "app1", "session1")
	}},
	{"add credential retried with the same once", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA}))
		c := newCred("app1", "cred1", "user2", t0)
		wantErr(t, s.AddCredential(ctx, c, []store.Alias{aliasA}, newOnce("session1")), store.ErrAliasConflict)
		must(t, s.AddCredential(ctx, c, []store.Alias{aliasB}, newOnce("session1")))
		wantCred(t, s, c)
		wantAliases(t, s, "app1", "user2", aliasB)
		wantConsumed(t, s, "app1", "session1")
	}},
	{"record use consumes once", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		c := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(ctx, c, nil, nil))
		use := store.CredentialUse{SignCount: 5, LastUsedAt: at(time.Hour), Device: "Safari, iOS", Country: "NO"}
		must(t, s.RecordCredentialUse(ctx, "app1", c.ID, use, newOnce("session1")))
		c.SignCount = use.SignCount
		applyUse(&c, use)
		wantCred(t, s, c)
		wantConsumed(t, s, "app1", "session1")
		must(t, s.ConsumeOnce(ctx, "app2", "session1", at(time.Hour)))
	}},
	{"record use with used once changes nothing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(ctx, c, nil, nil))
		must(t, s.ConsumeOnce(ctx, "app1", "session1", at(time.Hour)))
		for _, n := range []uint32{0, 5} {
			use := store.CredentialUse{SignCount: n, LastUsedAt: at(time.Hour), Device: "Safari, iOS", Country: "NO"}
			wantErr(t, s.RecordCredentialUse(ctx, "app1", c.ID, use, newOnce("session1")), store.ErrAlreadyUsed)
		}
		wantCred(t, s, c)
		// Checked before the credential: a used once on a missing
		// credential is still ErrAlreadyUsed.
		use := store.CredentialUse{SignCount: 5, LastUsedAt: at(time.Hour)}
		wantErr(t, s.RecordCredentialUse(ctx, "app1", []byte("cred2"), use, newOnce("session1")), store.ErrAlreadyUsed)
	}},
	{"record use regression leaves once unconsumed", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		c.SignCount = 10
		must(t, s.AddCredential(ctx, c, nil, nil))
		use := store.CredentialUse{SignCount: 10, LastUsedAt: at(time.Hour), Device: "Safari, iOS", Country: "NO"}
		wantErr(t, s.RecordCredentialUse(ctx, "app1", c.ID, use, newOnce("session1")), store.ErrCounterRegression)
		wantCred(t, s, c)
		wantUnconsumed(t, s, "app1", "session1")
	}},
	{"record use retried with the same once after regression", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		c.SignCount = 10
		must(t, s.AddCredential(ctx, c, nil, nil))
		use := store.CredentialUse{SignCount: 5, LastUsedAt: at(time.Hour), Device: "Safari, iOS", Country: "NO"}
		wantErr(t, s.RecordCredentialUse(ctx, "app1", c.ID, use, newOnce("session1")), store.ErrCounterRegression)
		use.SignCount = 0
		must(t, s.RecordCredentialUse(ctx, "app1", c.ID, use, newOnce("session1")))
		applyUse(&c, use)
		wantCred(t, s, c)
		wantConsumed(t, s, "app1", "session1")
	}},
	{"record use of missing credential leaves once unconsumed", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.AddCredential(ctx, newCred("app1", "cred1", "user1", t0), nil, nil))
		for _, n := range []uint32{0, 5} {
			use := store.CredentialUse{SignCount: n, LastUsedAt: t0}
			wantErr(t, s.RecordCredentialUse(ctx, "app1", []byte("cred2"), use, newOnce("session1")), store.ErrNotFound)
		}
		wantUnconsumed(t, s, "app1", "session1")
	}},
	{"record use concurrent with the same once", func(t *testing.T, s store.Store) {
		const n = 20
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			wins  []store.CredentialUse
			other []error
			start = make(chan struct{})
		)
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(t.Context(), c, nil, nil))
		for i := range n {
			use := store.CredentialUse{SignCount: uint32(i + 2), LastUsedAt: at(time.Duration(i+1) * time.Minute)}
			wg.Go(func() {
				<-start
				err := s.RecordCredentialUse(t.Context(), "app1", c.ID, use, newOnce("contested"))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins = append(wins, use)
				case !errors.Is(err, store.ErrAlreadyUsed):
					other = append(other, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(other) > 0 {
			t.Fatalf("unexpected errors: %v", other)
		}
		if len(wins) != 1 {
			t.Fatalf("%d of %d concurrent calls succeeded, want exactly 1", len(wins), n)
		}
		c.SignCount = wins[0].SignCount
		applyUse(&c, wins[0])
		wantCred(t, s, c)
		wantConsumed(t, s, "app1", "contested")
	}},
}

func newOnce(id string) *store.Once {
	return &store.Once{ID: id, ExpiresAt: at(time.Hour)}
}

// wantConsumed checks that id was consumed in the app.
func wantConsumed(t *testing.T, s store.Store, appID, id string) {
	t.Helper()
	wantErr(t, s.ConsumeOnce(t.Context(), appID, id, at(time.Hour)), store.ErrAlreadyUsed)
}

// wantUnconsumed checks that id was not consumed in the app, consuming it.
func wantUnconsumed(t *testing.T, s store.Store, appID, id string) {
	t.Helper()
	if err := s.ConsumeOnce(t.Context(), appID, id, at(time.Hour)); err != nil {
		t.Fatalf("%s of %s was consumed by a refused write: %v", id, appID, err)
	}
}
