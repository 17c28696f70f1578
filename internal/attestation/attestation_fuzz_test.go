package attestation_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/attestation"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/mds/mdstest"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/sqlite"
)

// FuzzRequests decodes arbitrary bodies into the allow/block list requests
// and runs them on a real store, and passes arbitrary filter values to the
// MDS entry listing: every failure is a 4xx problem. kind selects add,
// remove, registration policy (body = AAGUID bytes) and MDS entries (body
// = newline-separated filter values).
func FuzzRequests(f *testing.F) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "attestation.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	app := store.App{ID: "app1", CreatedAt: time.Now(), Features: store.Features{AllowAttestation: true}}
	if err := st.CreateApp(ctx, app, nil); err != nil {
		f.Fatal(err)
	}
	md := mdstest.Metadata(f)
	svc := attestation.New(st, func() *mds.Metadata { return md }, nil)
	for _, s := range []struct {
		kind uint8
		body string
	}{
		{0, `{"aaGuids":["00000000-0000-0000-0000-000000000000"],"isAllowed":true}`},
		{0, `{"aaGuids":["not-a-uuid",""],"isAllowed":false}`},
		{0, `{"aaGuids":[],"isAllowed":true}`},
		{1, `{"aaGuids":["00000000-0000-0000-0000-000000000000","00000000000000000000000000000000"]}`},
		{2, "0123456789abcdef"},
		{3, "basic_full\nFIDO_CERTIFIED"},
	} {
		f.Add(s.kind, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		var err error
		decode := func(v any) bool { return json.Unmarshal(data, v) == nil }
		switch kind % 4 {
		case 0:
			var req attestation.AddRequest
			if !decode(&req) {
				return
			}
			err = svc.Add(ctx, app, req)
		case 1:
			var req attestation.RemoveRequest
			if !decode(&req) {
				return
			}
			err = svc.Remove(ctx, app, req)
		case 2:
			for _, pref := range []string{"none", "direct"} {
				if err = svc.CheckRegistration(ctx, app, data, pref); err != nil {
					break
				}
			}
		case 3:
			types, statuses, _ := strings.Cut(string(data), "\n")
			_, err = svc.Entries(strings.Split(types, ","), strings.Split(statuses, ","))
		}
		if err != nil {
			var p *problem.Problem
			if !errors.As(err, &p) || p.Status < 400 || p.Status > 499 {
				t.Fatalf("kind %d, input %q: %v, want a 4xx problem", kind, data, err)
			}
		}
	})
}
