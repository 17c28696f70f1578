package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

func newAuthConfig(appID, purpose string) store.AuthConfig {
	return store.AuthConfig{
		AppID:            appID,
		Purpose:          purpose,
		UserVerification: "required",
		TTL:              3*time.Minute + 5*time.Microsecond,
		Hints:            []string{"security-key", "hybrid"},
		CreatedBy:        "admin@" + appID + ".example",
		CreatedOn:        ptr(t0),
	}
}

// preset is what a caller passes as ifMissing to TouchAuthConfig.
func preset(appID, purpose string) store.AuthConfig {
	return store.AuthConfig{AppID: appID, Purpose: purpose, UserVerification: "preferred",
		TTL: 2 * time.Minute, CreatedBy: "System"}
}

var authConfigCases = []testCase{
	{"add and get", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		full := newAuthConfig("app1", "step-up")
		full.EditedBy = "editor"
		full.EditedOn = ptr(at(time.Hour))
		full.LastUsedOn = ptr(at(2 * time.Hour))
		sparse := store.AuthConfig{AppID: "app1", Purpose: "sparse"}
		negative := newAuthConfig("app1", "negative-ttl")
		negative.TTL = -time.Minute
		negative.Hints = []string{}
		long := newAuthConfig("app1", "long")
		long.TTL = 7 * 24 * time.Hour
		for _, c := range []store.AuthConfig{full, sparse, negative, long} {
			must(t, s.AddAuthConfig(ctx, c))
			wantAuthConfig(t, s, c)
		}
	}},
	{"get unknown", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.AddAuthConfig(ctx, newAuthConfig("app1", "sign-in")))
		for _, purpose := range []string{"step-up", "sign"} {
			_, err := s.GetAuthConfig(ctx, "app1", purpose)
			wantErr(t, err, store.ErrNotFound)
		}
	}},
	{"add stored purpose conflicts", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		orig := newAuthConfig("app1", "sign-in")
		must(t, s.AddAuthConfig(ctx, orig))
		dup := preset("app1", "sign-in")
		wantErr(t, s.AddAuthConfig(ctx, dup), store.ErrConflict)
		wantAuthConfig(t, s, orig)
	}},
	{"list ordered by purpose", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		wantAuthConfigs(t, s, "app1")
		a, b, c := newAuthConfig("app1", "a-custom"), newAuthConfig("app1", "sign-in"), newAuthConfig("app1", "step-up")
		for _, cfg := range []store.AuthConfig{c, a, b, newAuthConfig("app2", "b-other")} {
			must(t, s.AddAuthConfig(ctx, cfg))
		}
		wantAuthConfigs(t, s, "app1", a, b, c)
	}},
	{"put inserts every field and replaces all but last used", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		first := newAuthConfig("app1", "sign-in")
		first.LastUsedOn = ptr(at(time.Minute))
		must(t, s.PutAuthConfig(ctx, first))
		wantAuthConfig(t, s, first)
		second := store.AuthConfig{
			AppID:            "app1",
			Purpose:          "sign-in",
			UserVerification: "discouraged",
			TTL:              time.Second,
			CreatedBy:        "someone else",
			EditedBy:         "editor",
			EditedOn:         ptr(at(time.Hour)),
		}
		must(t, s.PutAuthConfig(ctx, second))
		want := second
		want.LastUsedOn = first.LastUsedOn
		wantAuthConfig(t, s, want)
		wantAuthConfigs(t, s, "app1", want)
	}},
	{"put keeps last used of a stored row", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		touched := at(2 * time.Hour)
		for _, tc := range []struct {
			name   string
			stored func(ctx context.Context, s store.Store) error
			put    *time.Time // LastUsedOn the edit carries
			want   *time.Time
		}{
			{"never used, put without", addAuthConfig, nil, nil},
			{"never used, put with", addAuthConfig, ptr(at(time.Hour)), nil},
			{"touched, put without", touchedAuthConfig(touched), nil, &touched},
			{"touched, put older", touchedAuthConfig(touched), ptr(at(time.Hour)), &touched},
			{"touched, put newer", touchedAuthConfig(touched), ptr(at(3 * time.Hour)), &touched},
			{"put over put", func(ctx context.Context, s store.Store) error {
				c := newAuthConfig("app1", "sign-in")
				c.LastUsedOn = &touched
				return s.PutAuthConfig(ctx, c)
			}, ptr(at(time.Hour)), &touched},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				if err := s.DeleteAuthConfig(ctx, "app1", "sign-in"); err != nil {
					wantErr(t, err, store.ErrNotFound)
				}
				must(t, tc.stored(ctx, s))
				edit := newAuthConfig("app1", "sign-in")
				edit.UserVerification, edit.TTL, edit.Hints = "discouraged", time.Hour, nil
				edit.EditedBy, edit.EditedOn = "editor", ptr(at(time.Hour))
				edit.LastUsedOn = tc.put
				must(t, s.PutAuthConfig(ctx, edit))
				want := edit
				want.LastUsedOn = tc.want
				wantAuthConfig(t, s, want)
			})
		}
	}},
	{"touch after put", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		c := newAuthConfig("app1", "sign-in")
		must(t, s.PutAuthConfig(ctx, c))
		must(t, s.TouchAuthConfig(ctx, "app1", "sign-in", at(time.Hour), preset("app1", "sign-in")))
		c.LastUsedOn = ptr(at(time.Hour))
		wantAuthConfig(t, s, c)
	}},
	{"delete", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		keep := newAuthConfig("app1", "keep")
		must(t, s.AddAuthConfig(ctx, newAuthConfig("app1", "gone")))
		must(t, s.AddAuthConfig(ctx, keep))
		must(t, s.DeleteAuthConfig(ctx, "app1", "gone"))
		_, err := s.GetAuthConfig(ctx, "app1", "gone")
		wantErr(t, err, store.ErrNotFound)
		wantAuthConfigs(t, s, "app1", keep)
		wantErr(t, s.DeleteAuthConfig(ctx, "app1", "gone"), store.ErrNotFound)
		wantErr(t, s.DeleteAuthConfig(ctx, "app1", "never"), store.ErrNotFound)
		// A deleted purpose can be added again.
		must(t, s.AddAuthConfig(ctx, newAuthConfig("app1", "gone")))
	}},
	{"touch stored sets last used only", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		stored := newAuthConfig("app1", "sign-in")
		stored.EditedBy, stored.EditedOn = "editor", ptr(at(time.Minute))
		must(t, s.AddAuthConfig(ctx, stored))
		must(t, s.TouchAuthConfig(ctx, "app1", "sign-in", at(time.Hour), preset("app1", "sign-in")))
		stored.LastUsedOn = ptr(at(time.Hour))
		wantAuthConfig(t, s, stored)
		must(t, s.TouchAuthConfig(ctx, "app1", "sign-in", at(2*time.Hour), preset("app1", "sign-in")))
		stored.LastUsedOn = ptr(at(2 * time.Hour))
		wantAuthConfig(t, s, stored)
	}},
	{"touch missing stores ifMissing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		other := newAuthConfig("app1", "sign-in")
		must(t, s.AddAuthConfig(ctx, other))
		ifMissing := preset("app1", "step-up")
		ifMissing.Hints = []string{"client-device"}
		ifMissing.LastUsedOn = ptr(at(-time.Hour)) // overridden by at
		must(t, s.TouchAuthConfig(ctx, "app1", "step-up", at(time.Hour), ifMissing))
		want := ifMissing
		want.LastUsedOn = ptr(at(time.Hour))
		wantAuthConfig(t, s, want)
		wantAuthConfigs(t, s, "app1", other, want)
		// Now stored: a second touch only moves LastUsedOn.
		must(t, s.TouchAuthConfig(ctx, "app1", "step-up", at(2*time.Hour), preset("app1", "step-up")))
		want.LastUsedOn = ptr(at(2 * time.Hour))
		wantAuthConfig(t, s, want)
	}},
	{"concurrent touches of a missing purpose", func(t *testing.T, s store.Store) {
		const n = 20
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			errs  []error
			start = make(chan struct{})
		)
		createApp(t, s, "app1")
		for i := range n {
			wg.Go(func() {
				<-start
				err := s.TouchAuthConfig(t.Context(), "app1", "sign-in", at(time.Duration(i)*time.Second), preset("app1", "sign-in"))
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("%d of %d touches failed, first: %v", len(errs), n, errs[0])
		}
		list, err := s.ListAuthConfigs(t.Context(), "app1")
		must(t, err)
		wantEqual(t, "stored configurations", len(list), 1)
		got := normAuthConfig(list[0])
		if got.LastUsedOn == nil || got.LastUsedOn.Before(t0) || got.LastUsedOn.After(at(n*time.Second)) {
			t.Fatalf("LastUsedOn = %v, want one of the touch times", got.LastUsedOn)
		}
		got.LastUsedOn = nil
		wantEqual(t, "stored preset", got, normAuthConfig(preset("app1", "sign-in")))
	}},
}

func addAuthConfig(ctx context.Context, s store.Store) error {
	return s.AddAuthConfig(ctx, newAuthConfig("app1", "sign-in"))
}

func touchedAuthConfig(at time.Time) func(ctx context.Context, s store.Store) error {
	return func(ctx context.Context, s store.Store) error {
		if err := addAuthConfig(ctx, s); err != nil {
			return err
		}
		return s.TouchAuthConfig(ctx, "app1", "sign-in", at, preset("app1", "sign-in"))
	}
}

func wantAuthConfig(t *testing.T, s store.Store, want store.AuthConfig) {
	t.Helper()
	got, err := s.GetAuthConfig(t.Context(), want.AppID, want.Purpose)
	must(t, err)
	wantEqual(t, "auth config "+want.Purpose, normAuthConfig(got), normAuthConfig(want))
}

func wantAuthConfigs(t *testing.T, s store.Store, appID string, want ...store.AuthConfig) {
	t.Helper()
	got, err := s.ListAuthConfigs(t.Context(), appID)
	must(t, err)
	wantEqual(t, "auth configs of "+appID, normAll(got, normAuthConfig), normAll(want, normAuthConfig))
}
