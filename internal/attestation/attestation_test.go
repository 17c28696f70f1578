package attestation_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/attestation"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/mds/mdstest"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
)

// fakeStore keeps authenticator entries in memory, per app, with the
// semantics of store.Store.
type fakeStore struct {
	mu   sync.Mutex
	apps map[string]map[string]store.AuthenticatorEntry
	err  error
}

func newFakeStore() *fakeStore {
	return &fakeStore{apps: map[string]map[string]store.AuthenticatorEntry{}}
}

func (f *fakeStore) ListAuthenticators(_ context.Context, appID string, isAllowed bool) ([]store.AuthenticatorEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []store.AuthenticatorEntry
	for _, e := range f.apps[appID] {
		if e.IsAllowed == isAllowed {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AAGUID < out[j].AAGUID })
	return out, nil
}

func (f *fakeStore) PutAuthenticators(_ context.Context, appID string, aaguids []string, isAllowed bool, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	m := f.apps[appID]
	if m == nil {
		m = map[string]store.AuthenticatorEntry{}
		f.apps[appID] = m
	}
	for _, id := range aaguids {
		e, ok := m[id]
		if !ok {
			e = store.AuthenticatorEntry{AAGUID: id, CreatedAt: now}
		}
		e.IsAllowed = isAllowed
		m[id] = e
	}
	return nil
}

func (f *fakeStore) RemoveAuthenticators(_ context.Context, appID string, aaguids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	for _, id := range aaguids {
		delete(f.apps[appID], id)
	}
	return nil
}

// put seeds entries without going through the service.
func (f *fakeStore) put(appID string, isAllowed bool, at time.Time, ids ...uuid.UUID) {
	for _, id := range ids {
		_ = f.PutAuthenticators(context.Background(), appID, []string{id.String()}, isAllowed, at)
	}
}

// all returns the app's entries as "aaguid:allow|block", sorted.
func (f *fakeStore) all(appID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []string{}
	for id, e := range f.apps[appID] {
		kind := "block"
		if e.IsAllowed {
			kind = "allow"
		}
		out = append(out, id+":"+kind)
	}
	slices.Sort(out)
	return out
}

var _ attestation.Store = (store.Store)(nil)

var (
	clock    = time.Date(2025, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	planApp  = store.App{ID: "withplan", Features: store.Features{AllowAttestation: true}}
	basicApp = store.App{ID: "basic"}
)

func newService(t *testing.T) (*attestation.Service, *fakeStore) {
	t.Helper()
	md := mdstest.Metadata(t)
	st := newFakeStore()
	return attestation.New(st, func() *mds.Metadata { return md }, func() time.Time { return clock }), st
}

// want describes an expected outcome: zero value = success.
type want struct {
	status int
	code   string
	title  string
	field  string // a key of Errors for validation problems
}

func check(t *testing.T, err error, w want) {
	t.Helper()
	if w.status == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var p *problem.Problem
	if !errors.As(err, &p) {
		t.Fatalf("error = %v (%T), want a problem %d", err, err, w.status)
	}
	if p.Status != w.status || p.Code != w.code {
		t.Fatalf("problem = %d %q %q, want %d %q", p.Status, p.Code, p.Title, w.status, w.code)
	}
	if w.title != "" && p.Title != w.title {
		t.Fatalf("title = %q, want %q", p.Title, w.title)
	}
	if w.field != "" && len(p.Errors[w.field]) == 0 {
		t.Fatalf("errors = %v, want key %q", p.Errors, w.field)
	}
}

var (
	notOnPlan = want{status: http.StatusForbidden, code: "attestation_not_supported_on_plan",
		title: "Attestation is not supported on your plan."}
	badAAGUIDs = want{status: http.StatusBadRequest, field: "aaGuids",
		title: "One or more validation errors occurred."}
	notInMDS = want{status: http.StatusBadRequest, title: "One or more authenticators do not exist in the FIDO2 MDS."}
	internal = want{status: http.StatusInternalServerError}
)

func recorded(t *testing.T) (context.Context, func() []store.Event) {
	t.Helper()
	ctx, buf := events.NewContext(context.Background(), clock)
	buf.SetCaller(planApp.ID, "")
	return ctx, func() []store.Event { _, rows := buf.Take(); return rows }
}

func TestList(t *testing.T) {
	svc, st := newService(t)
	st.put(planApp.ID, true, clock, mdstest.Uncertified, mdstest.Certified)
	st.put(planApp.ID, false, clock.Add(time.Hour), mdstest.Revoked)
	st.put("other", true, clock, mdstest.Fixed)

	tests := []struct {
		name      string
		app       store.App
		isAllowed bool
		want      want
		json      string
	}{
		{"no plan", basicApp, true, notOnPlan, ""},
		{"allowlist", planApp, true, want{}, `[{"aaGuid":"11111111-1111-4111-8111-111111111111","createdAt":"2025-03-04T05:06:07.89"},` +
			`{"aaGuid":"44444444-4444-4444-8444-444444444444","createdAt":"2025-03-04T05:06:07.89"}]`},
		{"blocklist", planApp, false, want{}, `[{"aaGuid":"22222222-2222-4222-8222-222222222222","createdAt":"2025-03-04T06:06:07.89"}]`},
		{"empty", store.App{ID: "empty", Features: planApp.Features}, true, want{}, `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := svc.List(context.Background(), tc.app, tc.isAllowed)
			check(t, err, tc.want)
			if tc.json != "" {
				b, _ := json.Marshal(got)
				if string(b) != tc.json {
					t.Errorf("JSON = %s\nwant   %s", b, tc.json)
				}
			}
		})
	}

	st.err = errors.New("disk on fire")
	_, err := svc.List(context.Background(), planApp, true)
	check(t, err, internal)
}

func TestAdd(t *testing.T) {
	c, r := mdstest.Certified.String(), mdstest.Revoked.String()
	tests := []struct {
		name    string
		app     store.App
		req     string // JSON body
		want    want
		entries []string
		message string
	}{
		{"no plan", basicApp, `{"aaGuids":["` + c + `"],"isAllowed":true}`, notOnPlan, []string{}, ""},
		{"missing", planApp, `{"isAllowed":true}`, badAAGUIDs, []string{}, ""},
		{"null", planApp, `{"aaGuids":null}`, badAAGUIDs, []string{}, ""},
		{"empty", planApp, `{"aaGuids":[],"isAllowed":true}`, badAAGUIDs, []string{}, ""},
		{"not a uuid", planApp, `{"aaGuids":["` + c + `","nope"],"isAllowed":true}`, badAAGUIDs, []string{}, ""},
		{"unknown", planApp, `{"aaGuids":["` + c + `","` + mdstest.Unknown.String() + `"],"isAllowed":true}`, notInMDS, []string{}, ""},
		{"u2f only", planApp, `{"aaGuids":["` + mdstest.U2F.String() + `"],"isAllowed":false}`, notInMDS, []string{}, ""},
		{"allow", planApp, `{"aaGuids":["` + c + `","` + r + `"],"isAllowed":true}`, want{},
			[]string{c + ":allow", r + ":allow"}, "Added authenticators to the allowlist: " + c + ", " + r},
		{"block, upper case and duplicates", planApp, `{"aaGuids":["` + strings.ToUpper(r) + `","` + r + `","{` + r + `}"],"isAllowed":false}`, want{},
			[]string{r + ":block"}, "Added authenticators to the blocklist: " + r},
		{"isAllowed defaults to block", planApp, `{"aaGuids":["` + c + `"]}`, want{},
			[]string{c + ":block"}, "Added authenticators to the blocklist: " + c},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, st := newService(t)
			var req attestation.AddRequest
			if err := json.Unmarshal([]byte(tc.req), &req); err != nil {
				t.Fatal(err)
			}
			ctx, evs := recorded(t)
			check(t, svc.Add(ctx, tc.app, req), tc.want)
			if got := st.all(tc.app.ID); !slices.Equal(got, tc.entries) {
				t.Errorf("stored = %q, want %q", got, tc.entries)
			}
			rows := evs()
			if tc.message == "" {
				if len(rows) != 0 {
					t.Errorf("events = %+v, want none", rows)
				}
				return
			}
			if len(rows) != 1 || rows[0].Type != int(events.AuthenticatorsAllowlisted) || rows[0].Message != tc.message {
				t.Errorf("events = %+v, want one 1300 %q", rows, tc.message)
			}
		})
	}
}

func TestAddMovesAndKeepsCreatedAt(t *testing.T) {
	svc, st := newService(t)
	earlier := clock.Add(-24 * time.Hour)
	st.put(planApp.ID, false, earlier, mdstest.Certified)
	req := attestation.AddRequest{AAGUIDs: []string{mdstest.Certified.String(), mdstest.Fixed.String()}, IsAllowed: true}
	check(t, svc.Add(context.Background(), planApp, req), want{})
	got, err := svc.List(context.Background(), planApp, true)
	check(t, err, want{})
	wantViews := []attestation.AuthenticatorView{
		{AAGUID: mdstest.Certified.String(), CreatedAt: "2025-03-03T05:06:07.89"},
		{AAGUID: mdstest.Fixed.String(), CreatedAt: "2025-03-04T05:06:07.89"},
	}
	if !slices.Equal(got, wantViews) {
		t.Errorf("allowlist = %+v, want %+v", got, wantViews)
	}
	if blocked, _ := svc.List(context.Background(), planApp, false); len(blocked) != 0 {
		t.Errorf("blocklist = %+v, want empty", blocked)
	}
}

func TestAddWithoutMetadata(t *testing.T) {
	for name, md := range map[string]func() *mds.Metadata{
		"nil func":     nil,
		"nil metadata": func() *mds.Metadata { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			svc := attestation.New(newFakeStore(), md, nil)
			err := svc.Add(context.Background(), planApp, attestation.AddRequest{AAGUIDs: []string{mdstest.Certified.String()}})
			check(t, err, notInMDS)
			if got := svc.AttestationTypes(); got == nil || len(got) != 0 {
				t.Errorf("AttestationTypes = %#v, want empty", got)
			}
			if err := svc.CheckRegistration(context.Background(), planApp, mdstest.Revoked[:], "direct"); err != nil {
				t.Errorf("CheckRegistration = %v", err)
			}
		})
	}
}

func TestAddStoreError(t *testing.T) {
	svc, st := newService(t)
	st.err = errors.New("disk on fire")
	err := svc.Add(context.Background(), planApp, attestation.AddRequest{AAGUIDs: []string{mdstest.Certified.String()}})
	check(t, err, internal)
}

func TestRemove(t *testing.T) {
	c, r, f := mdstest.Certified.String(), mdstest.Revoked.String(), mdstest.Fixed.String()
	tests := []struct {
		name    string
		app     store.App
		req     string
		want    want
		entries []string
		message string
	}{
		{"no plan", basicApp, `{"aaGuids":["` + c + `"]}`, notOnPlan, nil, ""},
		{"missing", planApp, `{}`, badAAGUIDs, []string{c + ":allow", r + ":block", f + ":allow"}, ""},
		{"empty", planApp, `{"aaGuids":[]}`, badAAGUIDs, []string{c + ":allow", r + ":block", f + ":allow"}, ""},
		{"not a uuid", planApp, `{"aaGuids":["x"]}`, badAAGUIDs, []string{c + ":allow", r + ":block", f + ":allow"}, ""},
		{"from both lists, unknown ignored", planApp, `{"aaGuids":["` + strings.ToUpper(c) + `","` + r + `","` + mdstest.Unknown.String() + `"]}`, want{},
			[]string{f + ":allow"}, "Removed authenticators: " + c + ", " + r + ", " + mdstest.Unknown.String()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, st := newService(t)
			st.put(planApp.ID, true, clock, mdstest.Certified, mdstest.Fixed)
			st.put(planApp.ID, false, clock, mdstest.Revoked)
			var req attestation.RemoveRequest
			if err := json.Unmarshal([]byte(tc.req), &req); err != nil {
				t.Fatal(err)
			}
			ctx, evs := recorded(t)
			check(t, svc.Remove(ctx, tc.app, req), tc.want)
			if tc.entries != nil {
				if got := st.all(tc.app.ID); !slices.Equal(got, tc.entries) {
					t.Errorf("stored = %q, want %q", got, tc.entries)
				}
			}
			rows := evs()
			if tc.message == "" {
				if len(rows) != 0 {
					t.Errorf("events = %+v, want none", rows)
				}
				return
			}
			if len(rows) != 1 || rows[0].Type != int(events.AuthenticatorsDelisted) || rows[0].Message != tc.message {
				t.Errorf("events = %+v, want one 1302 %q", rows, tc.message)
			}
		})
	}
}

func TestCheckRegistration(t *testing.T) {
	undesired := want{status: http.StatusBadRequest, code: "fido2_invalid_registration",
		title: "Authenticator found with undesirable status. Was REVOKED"}
	blocked := want{status: http.StatusBadRequest, code: "authenticator_not_allowed",
		title: "The authenticator is on the blocklist and is not allowed to be used for registration."}
	notAllowed := want{status: http.StatusBadRequest, code: "authenticator_not_allowed",
		title: "An allowlist was configured. The authenticator is not found on the allowlist and is not allowed to be used for registration."}
	attRequired := want{status: http.StatusBadRequest, code: "attestation_required",
		title: "Attestation 'none' was used for registration, but an allowlist was configured. Please use a supported attestation method."}

	type lists struct{ allow, block []uuid.UUID }
	id := func(u uuid.UUID) []byte { return u[:] }
	tests := []struct {
		name   string
		app    store.App
		lists  lists
		aaguid []byte
		pref   string
		want   want
	}{
		{"revoked, basic app", basicApp, lists{}, id(mdstest.Revoked), "none", undesired},
		{"revoked, plan app", planApp, lists{}, id(mdstest.Revoked), "direct", undesired},
		{"revoked even when allowlisted", planApp, lists{allow: []uuid.UUID{mdstest.Revoked}}, id(mdstest.Revoked), "direct", undesired},
		{"superseded bad status", planApp, lists{}, id(mdstest.Fixed), "direct", want{}},
		{"u2f entry ignored", basicApp, lists{}, id(mdstest.U2F), "none", want{}},
		{"certified", basicApp, lists{}, id(mdstest.Certified), "none", want{}},
		{"unknown", planApp, lists{}, id(mdstest.Unknown), "none", want{}},
		{"nil aaguid, no lists", planApp, lists{}, nil, "none", want{}},
		{"lists ignored without plan", basicApp, lists{block: []uuid.UUID{mdstest.Certified}}, id(mdstest.Certified), "direct", want{}},
		{"blocklisted", planApp, lists{block: []uuid.UUID{mdstest.Certified}}, id(mdstest.Certified), "direct", blocked},
		{"blocklisted, none", planApp, lists{block: []uuid.UUID{mdstest.Certified}}, id(mdstest.Certified), "none", blocked},
		{"other blocklisted", planApp, lists{block: []uuid.UUID{mdstest.Uncertified}}, id(mdstest.Certified), "direct", want{}},
		{"allowlisted", planApp, lists{allow: []uuid.UUID{mdstest.Uncertified, mdstest.Certified}}, id(mdstest.Certified), "none", want{}},
		{"not allowlisted, direct", planApp, lists{allow: []uuid.UUID{mdstest.Uncertified}}, id(mdstest.Certified), "direct", notAllowed},
		{"not allowlisted, indirect", planApp, lists{allow: []uuid.UUID{mdstest.Uncertified}}, id(mdstest.Certified), "indirect", notAllowed},
		{"not allowlisted, none", planApp, lists{allow: []uuid.UUID{mdstest.Uncertified}}, id(mdstest.Certified), "none", attRequired},
		{"not allowlisted, empty preference", planApp, lists{allow: []uuid.UUID{mdstest.Uncertified}}, id(mdstest.Certified), "", attRequired},
		{"allowlist, nil aaguid", planApp, lists{allow: []uuid.UUID{mdstest.Uncertified}}, nil, "none", attRequired},
		{"allowlist, short aaguid", planApp, lists{allow: []uuid.UUID{mdstest.Uncertified}}, []byte{1, 2}, "direct", notAllowed},
		{"blocklist wins over allowlist", planApp, lists{allow: []uuid.UUID{mdstest.Uncertified}, block: []uuid.UUID{mdstest.Certified}}, id(mdstest.Certified), "none", blocked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, st := newService(t)
			st.put(tc.app.ID, true, clock, tc.lists.allow...)
			st.put(tc.app.ID, false, clock, tc.lists.block...)
			check(t, svc.CheckRegistration(context.Background(), tc.app, tc.aaguid, tc.pref), tc.want)
		})
	}

	svc, st := newService(t)
	st.err = errors.New("disk on fire")
	check(t, svc.CheckRegistration(context.Background(), planApp, id(mdstest.Certified), "none"), internal)
	check(t, svc.CheckRegistration(context.Background(), basicApp, id(mdstest.Certified), "none"), want{})
}

func TestMDSEndpoints(t *testing.T) {
	svc, _ := newService(t)
	if got, want := svc.AttestationTypes(), []string{"anonca", "attca", "basic_full", "basic_surrogate", "none"}; !slices.Equal(got, want) {
		t.Errorf("AttestationTypes = %q, want %q", got, want)
	}
	if got := svc.CertificationStatuses(); !slices.Contains(got, "REVOKED") || slices.Contains(got, "FIDO_CERTIFIED_L2") {
		t.Errorf("CertificationStatuses = %q", got)
	}

	tests := []struct {
		name     string
		types    []string
		statuses []string
		want     want
		field    string
		aaguids  []string
	}{
		{"no filter", nil, nil, want{}, "", []string{mdstest.Certified.String(), mdstest.Revoked.String(), mdstest.Fixed.String(), mdstest.Uncertified.String()}},
		{"filters", []string{"basic_full"}, []string{"REVOKED"}, want{}, "", []string{mdstest.Revoked.String()}},
		{"empty value allowed", []string{""}, nil, want{}, "", []string{}},
		{"bad type", []string{"basic_full", "basic-full"}, nil, badFilter("attestationTypes"), "", nil},
		{"bad status", nil, []string{"FIDO CERTIFIED"}, badFilter("certificationStatuses"), "", nil},
		{"both bad", []string{"a;b"}, []string{"<x>"}, badFilter("attestationTypes"), "certificationStatuses", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := svc.Entries(tc.types, tc.statuses)
			check(t, err, tc.want)
			if tc.field != "" {
				var p *problem.Problem
				errors.As(err, &p)
				if len(p.Errors[tc.field]) == 0 {
					t.Errorf("errors = %v, want key %q", p.Errors, tc.field)
				}
			}
			if tc.aaguids == nil {
				return
			}
			ids := []string{}
			for _, v := range got {
				ids = append(ids, v.AAGUID)
			}
			if !slices.Equal(ids, tc.aaguids) {
				t.Errorf("entries = %q, want %q", ids, tc.aaguids)
			}
		})
	}
}

func badFilter(field string) want {
	return want{status: http.StatusBadRequest, field: field, title: "One or more validation errors occurred."}
}
