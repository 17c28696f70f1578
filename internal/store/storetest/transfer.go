package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// Credential ids whose byte order differs from their insertion order, from
// their creation times and from a case-insensitive or locale order: a
// prefix sorts before its extensions, 0x00 and 0xff bytes compare as
// bytes, upper case sorts before lower case.
var pageIDs = [][]byte{
	{0x00},
	{0x00, 0x00},
	[]byte("A"),
	[]byte("a"),
	[]byte("a\x00"),
	[]byte("ab"),
	{0x7f},
	{0x80},
	{0xff},
	{0xff, 0x00},
}

var credentialPageCases = []testCase{
	{"empty app", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		for _, after := range [][]byte{nil, {}, []byte("x")} {
			wantCredPage(t, s, "app1", after, 10)
		}
	}},
	{"order and boundaries", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		byID := map[string]store.Credential{}
		// Insert in reverse order with decreasing creation times, so
		// neither insertion nor time order matches id order.
		for i, id := range slices.Backward(pageIDs) {
			c := newCred("app1", string(id), fmt.Sprintf("user%d", i%3), at(-time.Duration(i)*time.Minute))
			must(t, s.AddCredential(ctx, c, nil, nil))
			byID[string(id)] = c
			// The other app has rows under the same and other ids.
			must(t, s.AddCredential(ctx, newCred("app2", string(id), "other", t0), nil, nil))
		}
		must(t, s.AddCredential(ctx, newCred("app2", "\x00\x01", "other", t0), nil, nil))
		ids := func(from, to int) []store.Credential {
			var list []store.Credential
			for _, id := range pageIDs[from:to] {
				list = append(list, byID[string(id)])
			}
			return list
		}
		n := len(pageIDs)
		for _, tc := range []struct {
			name  string
			after []byte
			limit int
			want  []store.Credential
		}{
			{"all from the start", nil, 100, ids(0, n)},
			{"limit equals count", nil, n, ids(0, n)},
			{"first page", nil, 3, ids(0, 3)},
			{"limit one", nil, 1, ids(0, 1)},
			{"next page after a stored id", pageIDs[2], 3, ids(3, 6)},
			{"after a prefix of stored ids", []byte("a"), 2, ids(4, 6)},
			{"after an id not stored", []byte("aa"), 2, ids(5, 7)},
			{"last partial page", pageIDs[n-3], 10, ids(n-2, n)},
			{"after the last id", pageIDs[n-1], 10, nil},
			{"after everything", []byte{0xff, 0xff}, 10, nil},
			{"limit zero", nil, 0, nil},
			{"negative limit", nil, -1, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantCredPage(t, s, "app1", tc.after, tc.limit, tc.want...)
			})
		}
	}},
	{"walk visits every credential once", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		var want []store.Credential
		for i := range 25 {
			c := newCred("app1", fmt.Sprintf("cred-%02d", (i*7)%25), "user1", t0)
			must(t, s.AddCredential(ctx, c, nil, nil))
			want = append(want, c)
		}
		slices.SortFunc(want, func(a, b store.Credential) int { return bytes.Compare(a.ID, b.ID) })
		for _, size := range []int{1, 4, 5, 25, 1000} {
			var got []store.Credential
			var after []byte
			for {
				page, err := s.ListCredentialsPage(ctx, "app1", after, size)
				must(t, err)
				got = append(got, page...)
				if len(page) < size {
					break
				}
				after = page[len(page)-1].ID
			}
			wantEqual(t, fmt.Sprintf("walk with pages of %d", size), normAll(got, normCred), normAll(want, normCred))
		}
	}},
	{"empty id", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		empty := newCred("app1", "", "user1", t0)
		other := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(ctx, empty, nil, nil))
		must(t, s.AddCredential(ctx, other, nil, nil))
		wantCredPage(t, s, "app1", nil, 10, empty, other)
		// A non-nil empty after is the empty id itself.
		wantCredPage(t, s, "app1", []byte{}, 10, other)
	}},
}

var aliasPageCases = []testCase{
	{"empty app", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		wantAliasPage(t, s, "app1", "", 10)
		wantAliasPage(t, s, "app1", "hash", 10)
	}},
	{"order and boundaries", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		// Byte order: "H" < "h" < "h-" < "hash-a" < "hash-b" < "é".
		all := []store.UserAlias{
			{UserID: "user2", Alias: store.Alias{Hash: "H"}},
			{UserID: "user1", Alias: store.Alias{Hash: "h", Plaintext: "plain h"}},
			{UserID: "user3", Alias: store.Alias{Hash: "h-"}},
			{UserID: "user1", Alias: store.Alias{Hash: "hash-a", Plaintext: "alice"}},
			{UserID: "user2", Alias: store.Alias{Hash: "hash-b"}},
			{UserID: "user1", Alias: store.Alias{Hash: "é"}},
		}
		byUser := map[string][]store.Alias{}
		for _, a := range slices.Backward(all) {
			byUser[a.UserID] = append(byUser[a.UserID], a.Alias)
		}
		for user, list := range byUser {
			must(t, s.ReplaceAliases(ctx, "app1", user, list))
		}
		must(t, s.ReplaceAliases(ctx, "app2", "user1", []store.Alias{{Hash: "hash-a"}, {Hash: "hash-0"}}))
		n := len(all)
		for _, tc := range []struct {
			name  string
			after string
			limit int
			want  []store.UserAlias
		}{
			{"all from the start", "", 100, all},
			{"limit equals count", "", n, all},
			{"first page", "", 2, all[:2]},
			{"next page after a stored hash", "h", 2, all[2:4]},
			{"after a hash not stored", "hash", 10, all[3:]},
			{"last partial page", "hash-a", 10, all[4:]},
			{"after the last hash", "é", 10, nil},
			{"after everything", "\uffff", 10, nil},
			{"limit zero", "", 0, nil},
			{"negative limit", "", -1, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantAliasPage(t, s, "app1", tc.after, tc.limit, tc.want...)
			})
		}
	}},
}

var importCredentialCases = []testCase{
	{"empty", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		must(t, s.ImportCredentials(t.Context(), nil))
		must(t, s.ImportCredentials(t.Context(), []store.Credential{}))
		wantCredentialCount(t, s, "app1", 0)
	}},
	{"every field", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		full := newCred("app1", "cred-full", "user1", t0)
		full.SignCount = 1<<32 - 1
		full.LastUsedAt = at(time.Hour)
		sparse := store.Credential{AppID: "app1", ID: []byte{0x00, 0xff}, UserID: "user2",
			UserHandle: []byte("user2"), PublicKey: []byte{0xa4}, CreatedAt: t0, LastUsedAt: t0}
		nd := newCred("app1", "cred-nd", "user1", at(time.Minute))
		nd.Discoverable = ptr(false)
		must(t, s.ImportCredentials(t.Context(), []store.Credential{full, sparse, nd}))
		for _, c := range []store.Credential{full, sparse, nd} {
			wantCred(t, s, c)
		}
		wantCreds(t, s, "app1", "user1", full, nd)
		wantUsers(t, s, "app1", 2)
	}},
	{"many rows across two apps", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		// More rows than any reasonable statement batch, and not a
		// multiple of one.
		const n = 1234
		var creds []store.Credential
		for i := range n {
			creds = append(creds, newCred("app1", fmt.Sprintf("cred-%05d", i), fmt.Sprintf("user%d", i%100), t0))
		}
		// The same ids in another app are not conflicts.
		for i := range 10 {
			creds = append(creds, newCred("app2", fmt.Sprintf("cred-%05d", i), "other", t0))
		}
		must(t, s.ImportCredentials(ctx, creds))
		wantCredentialCount(t, s, "app1", n)
		wantCredentialCount(t, s, "app2", 10)
		wantUsers(t, s, "app1", 100)
		wantCred(t, s, creds[0])
		wantCred(t, s, creds[n-1])
		wantCred(t, s, creds[n])
		page, err := s.ListCredentialsPage(ctx, "app2", nil, 100)
		must(t, err)
		wantEqual(t, "credentials of app2", normAll(page, normCred), normAll(creds[n:], normCred))
	}},
	{"conflicts write nothing", func(t *testing.T, s store.Store) {
		for _, tc := range []struct {
			name   string
			stored []store.Credential
			batch  []store.Credential
		}{
			{"id stored", []store.Credential{newCred("app1", "cred1", "user1", t0)},
				[]store.Credential{newCred("app1", "new1", "user2", t0), newCred("app1", "cred1", "user2", t0), newCred("app1", "new2", "user2", t0)}},
			{"id repeated in the batch", nil,
				[]store.Credential{newCred("app1", "new1", "user2", t0), newCred("app1", "new1", "user3", t0)}},
			{"conflict in the other app of the batch", []store.Credential{newCred("app2", "cred1", "user1", t0)},
				[]store.Credential{newCred("app1", "cred1", "user2", t0), newCred("app2", "cred1", "user2", t0)}},
			{"conflict after many rows", []store.Credential{newCred("app1", "cred1", "user1", t0)},
				append(manyCreds("app1", "new", 1100), newCred("app1", "cred1", "user2", t0))},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// Each case on its own pair of apps.
				ctx := t.Context()
				prefix := tc.name + "/"
				stored, batch := inApps(prefix, tc.stored), inApps(prefix, tc.batch)
				for _, app := range []string{"app1", "app2"} {
					createApp(t, s, prefix+app)
				}
				for _, c := range stored {
					must(t, s.AddCredential(ctx, c, nil, nil))
				}
				wantErr(t, s.ImportCredentials(ctx, batch), store.ErrConflict)
				for _, app := range []string{"app1", "app2"} {
					var want []store.Credential
					for _, c := range stored {
						if c.AppID == prefix+app {
							want = append(want, c)
						}
					}
					wantCredPage(t, s, prefix+app, nil, 10000, want...)
				}
			})
		}
	}},
}

// inApps returns copies of the credentials with prefix put before their
// app ids.
func inApps(prefix string, creds []store.Credential) []store.Credential {
	out := make([]store.Credential, len(creds))
	for i, c := range creds {
		c.AppID = prefix + c.AppID
		out[i] = c
	}
	return out
}

func manyCreds(appID, prefix string, n int) []store.Credential {
	list := make([]store.Credential, n)
	for i := range list {
		list[i] = newCred(appID, fmt.Sprintf("%s-%05d", prefix, i), fmt.Sprintf("user%d", i), t0)
	}
	return list
}

var importAliasCases = []testCase{
	{"empty", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		must(t, s.ImportAliases(t.Context(), "app1", nil))
		wantAliasPage(t, s, "app1", "", 10)
	}},
	{"imports and reads back", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		must(t, s.ReplaceAliases(ctx, "app2", "someone", []store.Alias{aliasA}))
		list := []store.UserAlias{
			{UserID: "user2", Alias: aliasB},
			{UserID: "user1", Alias: aliasA}, // taken in app2 only
			{UserID: "user1", Alias: aliasC},
		}
		must(t, s.ImportAliases(ctx, "app1", list))
		wantAliases(t, s, "app1", "user1", aliasA, aliasC)
		wantAliases(t, s, "app1", "user2", aliasB)
		wantOwner(t, s, "app1", aliasA.Hash, "user1")
		wantOwner(t, s, "app2", aliasA.Hash, "someone")
		wantAliasPage(t, s, "app1", "", 10, list[1], list[0], list[2])
	}},
	{"many rows", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		const n = 1234
		var list []store.UserAlias
		for i := range n {
			a := store.UserAlias{UserID: fmt.Sprintf("user%d", i%50), Alias: store.Alias{Hash: fmt.Sprintf("hash-%05d", i)}}
			if i%2 == 0 {
				a.Plaintext = fmt.Sprintf("alias %d", i)
			}
			list = append(list, a)
		}
		must(t, s.ImportAliases(ctx, "app1", list))
		wantAliasPage(t, s, "app1", "", 2*n, list...)
		wantOwner(t, s, "app1", "hash-01233", "user33")
	}},
	{"conflicts write nothing", func(t *testing.T, s store.Store) {
		for _, tc := range []struct {
			name  string
			batch []store.UserAlias
		}{
			{"hash of another user", []store.UserAlias{{UserID: "user2", Alias: aliasB}, {UserID: "user2", Alias: aliasA}}},
			{"hash of the same user", []store.UserAlias{{UserID: "user1", Alias: aliasB}, {UserID: "user1", Alias: aliasA}}},
			{"hash repeated in the batch", []store.UserAlias{{UserID: "user2", Alias: aliasB}, {UserID: "user3", Alias: aliasB}}},
			{"conflict after many rows", append(manyAliases(1100), store.UserAlias{UserID: "user9", Alias: aliasA})},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				app := tc.name
				createApp(t, s, app)
				must(t, s.ReplaceAliases(ctx, app, "user1", []store.Alias{aliasA}))
				wantErr(t, s.ImportAliases(ctx, app, tc.batch), store.ErrAliasConflict)
				wantAliasPage(t, s, app, "", 10000, store.UserAlias{UserID: "user1", Alias: aliasA})
			})
		}
	}},
}

func manyAliases(n int) []store.UserAlias {
	list := make([]store.UserAlias, n)
	for i := range list {
		list[i] = store.UserAlias{UserID: "bulk", Alias: store.Alias{Hash: fmt.Sprintf("bulk-%05d", i)}}
	}
	return list
}

func wantCredPage(t *testing.T, s store.Store, appID string, after []byte, limit int, want ...store.Credential) {
	t.Helper()
	got, err := s.ListCredentialsPage(t.Context(), appID, after, limit)
	must(t, err)
	if !reflect.DeepEqual(normAll(got, normCred), normAll(want, normCred)) {
		t.Fatalf("credentials of %s after %q, limit %d:\n got ids %s\nwant ids %s\n got %s\nwant %s",
			appID, after, limit, credIDs(got), credIDs(want), show(normAll(got, normCred)), show(normAll(want, normCred)))
	}
}

func credIDs(list []store.Credential) string {
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = fmt.Sprintf("%q/%s", c.ID, c.UserID)
	}
	return "[" + strings.Join(ids, " ") + "]"
}

func wantAliasPage(t *testing.T, s store.Store, appID, after string, limit int, want ...store.UserAlias) {
	t.Helper()
	got, err := s.ListAliasesPage(t.Context(), appID, after, limit)
	must(t, err)
	wantEqual(t, fmt.Sprintf("aliases of %s after %q, limit %d", appID, after, limit), normAll(got, same), normAll(want, same))
}
