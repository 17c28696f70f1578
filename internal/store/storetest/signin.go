package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// signInCases cover SignIn: the read, the caller's check and the recorded
// use as one step, with the rules of RecordCredentialUse for the write.
var signInCases = []testCase{
	{"sign in records the use and consumes once", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		c.SignCount = 4
		must(t, s.AddCredential(t.Context(), c, nil, nil))
		use := store.CredentialUse{SignCount: 5, LastUsedAt: at(time.Hour), Device: "Safari, iOS", Country: "NO",
			BackupEligible: true, BackupState: true}
		var seen store.Credential
		got, err := s.SignIn(t.Context(), "app1", c.ID, newOnce("session1"), func(cur store.Credential) (store.CredentialUse, error) {
			seen = cur
			return use, nil
		})
		must(t, err)
		for name, cred := range map[string]store.Credential{"check got": seen, "SignIn returned": got} {
			if cred.UserID != c.UserID || cred.SignCount != 4 || string(cred.PublicKey) != string(c.PublicKey) {
				t.Fatalf("%s %+v, want the stored credential", name, cred)
			}
		}
		c.SignCount = 5
		applyUse(&c, use)
		wantCred(t, s, c)
		wantConsumed(t, s, "app1", "session1")
	}},
	{"sign in without once", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(t.Context(), c, nil, nil))
		use := store.CredentialUse{SignCount: 0, LastUsedAt: at(time.Hour), Device: "Chrome, Linux"}
		_, err := s.SignIn(t.Context(), "app1", c.ID, nil, func(store.Credential) (store.CredentialUse, error) { return use, nil })
		must(t, err)
		applyUse(&c, use)
		wantCred(t, s, c)
	}},
	{"sign in with an unknown credential does not call check", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		must(t, s.AddCredential(t.Context(), newCred("app2", "cred1", "user1", t0), nil, nil))
		called := false
		_, err := s.SignIn(t.Context(), "app1", []byte("cred1"), newOnce("session1"), func(store.Credential) (store.CredentialUse, error) {
			called = true
			return store.CredentialUse{LastUsedAt: t0}, nil
		})
		wantErr(t, err, store.ErrNotFound)
		if called {
			t.Fatal("check was called for a credential of another app")
		}
		wantUnconsumed(t, s, "app1", "session1")
	}},
	{"sign in refused by check changes nothing", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(t.Context(), c, nil, nil))
		refused := errors.New("bad signature")
		_, err := s.SignIn(t.Context(), "app1", c.ID, newOnce("session1"), func(store.Credential) (store.CredentialUse, error) {
			return store.CredentialUse{}, refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("error = %v, want check's", err)
		}
		wantCred(t, s, c)
		wantUnconsumed(t, s, "app1", "session1")
	}},
	{"sign in with a used once changes nothing", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(t.Context(), c, nil, nil))
		must(t, s.ConsumeOnce(t.Context(), "app1", "session1", at(time.Hour)))
		use := store.CredentialUse{SignCount: 9, LastUsedAt: at(time.Hour), Device: "Safari, iOS"}
		_, err := s.SignIn(t.Context(), "app1", c.ID, newOnce("session1"), func(store.Credential) (store.CredentialUse, error) { return use, nil })
		wantErr(t, err, store.ErrAlreadyUsed)
		wantCred(t, s, c)
	}},
	{"sign in with a counter that did not grow changes nothing", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		c.SignCount = 7
		must(t, s.AddCredential(t.Context(), c, nil, nil))
		for _, n := range []uint32{6, 7} {
			use := store.CredentialUse{SignCount: n, LastUsedAt: at(time.Hour)}
			_, err := s.SignIn(t.Context(), "app1", c.ID, newOnce("session1"), func(store.Credential) (store.CredentialUse, error) { return use, nil })
			wantErr(t, err, store.ErrCounterRegression)
		}
		wantCred(t, s, c)
		wantUnconsumed(t, s, "app1", "session1")
	}},
	{"concurrent sign ins with one session", func(t *testing.T, s store.Store) {
		const n = 20
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(t.Context(), c, nil, nil))
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			wins  int
			other []error
			start = make(chan struct{})
		)
		for i := range n {
			use := store.CredentialUse{SignCount: 0, LastUsedAt: at(time.Duration(i+1) * time.Minute)}
			wg.Go(func() {
				<-start
				_, err := s.SignIn(t.Context(), "app1", c.ID, newOnce("contested"), func(store.Credential) (store.CredentialUse, error) { return use, nil })
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, store.ErrAlreadyUsed):
					other = append(other, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(other) > 0 || wins != 1 {
			t.Fatalf("%d of %d concurrent sign-ins with one session succeeded (want 1); other errors: %v", wins, n, other)
		}
	}},
	{"concurrent sign ins with one credential keep the counter rising", func(t *testing.T, s store.Store) {
		// Each sign-in reports the counter it read plus one, as an
		// authenticator does. Whatever the interleaving, no two accepted
		// sign-ins may have read the same counter.
		const n = 12
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(t.Context(), c, nil, nil))
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			accepted int
			other    []error
		)
		for i := range n {
			wg.Go(func() {
				_, err := s.SignIn(t.Context(), "app1", c.ID, newOnce("s"+string(rune('a'+i))), func(cur store.Credential) (store.CredentialUse, error) {
					return store.CredentialUse{SignCount: cur.SignCount + 1, LastUsedAt: at(time.Hour)}, nil
				})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					accepted++
				case !errors.Is(err, store.ErrCounterRegression):
					other = append(other, err)
				}
			})
		}
		wg.Wait()
		if len(other) > 0 {
			t.Fatalf("unexpected errors: %v", other)
		}
		got, err := s.GetCredential(t.Context(), "app1", c.ID)
		must(t, err)
		if accepted == 0 || got.SignCount != c.SignCount+uint32(accepted) {
			t.Fatalf("stored counter %d after %d accepted sign-ins from %d: two accepted sign-ins read the same counter", got.SignCount, accepted, c.SignCount)
		}
	}},
}
