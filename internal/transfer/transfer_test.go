package transfer

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/apikey"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

// t0 has microsecond precision, which both stores keep.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// populate stores an app with rows of every exported kind: nCreds
// credentials and nAliases aliases (more than a page each for the round
// trip), and one of each with every optional field set and unset.
func populate(t testing.TB, st store.Store, appID string, nCreds, nAliases int) {
	t.Helper()
	ctx := t.Context()
	app := store.App{
		ID: appID, AdminEmail: "admin@" + appID + ".example", CreatedAt: t0, DeleteAt: ptr(at(30 * 24 * time.Hour)),
		Features: store.Features{
			EventLoggingEnabled: true, EventLoggingRetentionDays: 90, MagicLinkMonthlyQuota: 500,
			MaxUsers: ptr(int64(10000)), AllowAttestation: true, GenerateSignInTokenEnabled: true,
			MagicLinksEnabled: true, DeveloperLoggingEndsAt: ptr(at(time.Hour)),
			AllowedOrigins: []string{"https://b.example", "https://a.example"}, AllowedRPIDs: []string{"example.com"},
		},
	}
	public := appID + ":public:0123456789abcdef0123456789abcdef"
	keys := []store.APIKey{
		{ID: apikey.ID(public), Kind: store.KeyPublic, Value: public, Scopes: []string{"register", "login"}, CreatedAt: t0},
		{ID: "abcd", Kind: store.KeySecret, Value: apikey.HashSecret(appID + ":secret:xyzabcd"), Scopes: []string{"token_register"},
			Locked: true, LastLockedAt: ptr(at(time.Minute)), LastUnlockedAt: ptr(at(time.Second)), CreatedAt: at(time.Microsecond)},
		{ID: "leg1", Kind: store.KeySecret, Value: "c2FsdA==:c3Vtc3Vtc3Vtc3Vtc3Vtcw==", CreatedAt: at(time.Hour)},
	}
	must(t, st.CreateApp(ctx, app, keys))
	must(t, st.AddTokenKey(ctx, store.TokenKey{AppID: appID, ID: 7, Material: bytes.Repeat([]byte{7}, 32), CreatedAt: t0}))
	must(t, st.AddTokenKey(ctx, store.TokenKey{AppID: appID, ID: 1 << 31, Material: bytes.Repeat([]byte{9}, 32), CreatedAt: at(time.Hour)}))
	must(t, st.AddAuthConfig(ctx, store.AuthConfig{AppID: appID, Purpose: "sign-in", UserVerification: "preferred",
		TTL: 2 * time.Minute, CreatedBy: "System"}))
	must(t, st.AddAuthConfig(ctx, store.AuthConfig{AppID: appID, Purpose: "step-up", UserVerification: "required",
		TTL: 90*time.Second + 5*time.Microsecond, Hints: []string{"security-key", "hybrid"}, CreatedBy: "admin",
		CreatedOn: ptr(t0), EditedBy: "editor", EditedOn: ptr(at(time.Minute))}))
	must(t, st.TouchAuthConfig(ctx, appID, "step-up", at(2*time.Hour), store.AuthConfig{}))
	must(t, st.PutAuthenticators(ctx, appID, []string{"00000000-0000-0000-0000-000000000001"}, true, t0))
	must(t, st.PutAuthenticators(ctx, appID, []string{"00000000-0000-0000-0000-000000000002"}, false, at(time.Hour)))

	creds := make([]store.Credential, nCreds)
	for i := range creds {
		c := store.Credential{
			AppID: appID, ID: fmt.Appendf(nil, "cred\x00\xff-%06d", (i*7919)%nCreds), UserID: fmt.Sprintf("user-%d", i/2),
			UserHandle: fmt.Appendf(nil, "user-%d", i/2), PublicKey: []byte{0xa5, 0x01, 0x02, byte(i)},
			SignCount: uint32(i), AttestationFmt: "none", CreatedAt: at(time.Duration(i) * time.Second),
			LastUsedAt: at(time.Duration(i) * time.Minute), RPID: "example.com", Origin: "https://example.com",
		}
		if i%2 == 0 {
			c.AAGUID = bytes.Repeat([]byte{byte(i)}, 16)
			c.Country, c.Device, c.Nickname = "SE", "Firefox, Windows 11", "laptop \"quoted\"\nline"
			c.BackupEligible, c.BackupState = true, i%4 == 0
			c.Discoverable = ptr(i%3 == 0)
			c.Transports = []string{"internal", "hybrid"}
		}
		creds[i] = c
	}
	for start := 0; start < len(creds); start += 5000 {
		must(t, st.ImportCredentials(ctx, creds[start:min(start+5000, len(creds))]))
	}
	aliases := make([]store.UserAlias, nAliases)
	for i := range aliases {
		aliases[i] = store.UserAlias{UserID: fmt.Sprintf("user-%d", i%50), Alias: store.Alias{Hash: fmt.Sprintf("hash-%06d", i)}}
		if i%3 == 0 {
			aliases[i].Plaintext = fmt.Sprintf("user%d@example.com", i)
		}
	}
	must(t, st.ImportAliases(ctx, appID, aliases))
}

// appData is everything Export reads of an app, normalised for comparison.
type appData struct {
	App            store.App
	APIKeys        []store.APIKey
	TokenKeys      []store.TokenKey
	AuthConfigs    []store.AuthConfig
	Allowed        []store.AuthenticatorEntry
	Blocked        []store.AuthenticatorEntry
	Credentials    []store.Credential
	Aliases        []store.UserAlias
	CredentialsNum int64
}

func readApp(t testing.TB, st store.Store, appID string) appData {
	t.Helper()
	ctx := t.Context()
	var d appData
	var err error
	d.App, err = st.GetApp(ctx, appID)
	must(t, err)
	d.APIKeys, err = st.ListAPIKeys(ctx, appID)
	must(t, err)
	d.TokenKeys, err = st.ListTokenKeys(ctx, appID)
	must(t, err)
	d.AuthConfigs, err = st.ListAuthConfigs(ctx, appID)
	must(t, err)
	d.Allowed, err = st.ListAuthenticators(ctx, appID, true)
	must(t, err)
	d.Blocked, err = st.ListAuthenticators(ctx, appID, false)
	must(t, err)
	d.Credentials, err = st.ListCredentialsPage(ctx, appID, nil, 1<<30)
	must(t, err)
	d.Aliases, err = st.ListAliasesPage(ctx, appID, "", 1<<30)
	must(t, err)
	d.CredentialsNum, err = st.CountCredentials(ctx, appID)
	must(t, err)
	return d
}

func exportApp(t testing.TB, st store.Store, appID string) []byte {
	t.Helper()
	var buf bytes.Buffer
	must(t, Export(t.Context(), st, appID, &buf))
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		src := open(t)
		// More than two pages and import batches of each, not a multiple.
		const nCreds, nAliases = 2*pageSize + 345, pageSize + 17
		populate(t, src, "app1", nCreds, nAliases)
		populate(t, src, "other", 3, 3)
		export := exportApp(t, src, "app1")
		if n := bytes.Count(export, []byte("\n")); n != 1+3+2+2+2+nCreds+nAliases+1 {
			t.Errorf("export has %d lines", n)
		}
		if bytes.Contains(export, []byte(":secret:")) {
			t.Error("export holds a plaintext secret")
		}

		dst := open(t)
		appID, err := Import(ctx, dst, bytes.NewReader(export))
		must(t, err)
		if appID != "app1" {
			t.Fatalf("imported app %q, want app1", appID)
		}
		want, got := readApp(t, src, "app1"), readApp(t, dst, "app1")
		if want.CredentialsNum != nCreds || len(want.Aliases) != nAliases {
			t.Fatalf("source holds %d credentials and %d aliases", want.CredentialsNum, len(want.Aliases))
		}
		if !reflect.DeepEqual(got, want) {
			for _, f := range reflect.VisibleFields(reflect.TypeFor[appData]()) {
				g, w := reflect.ValueOf(got).FieldByIndex(f.Index).Interface(), reflect.ValueOf(want).FieldByIndex(f.Index).Interface()
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s differs:\n got %+v\nwant %+v", f.Name, g, w)
				}
			}
		}
		// The imported app exports to the same bytes.
		if again := exportApp(t, dst, "app1"); !bytes.Equal(again, export) {
			t.Error("export of the imported app differs from the original export")
		}
		ids, err := dst.ListAppIDs(ctx)
		must(t, err)
		if !reflect.DeepEqual(ids, []string{"app1"}) {
			t.Errorf("target apps %v, want only app1", ids)
		}
	})
}

func TestExportUnknownApp(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		err := Export(t.Context(), open(t), "nope", &bytes.Buffer{})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("error %v, want ErrNotFound", err)
		}
	})
}

func TestImportRefusesExistingApp(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		src := open(t)
		populate(t, src, "app1", 5, 5)
		export := exportApp(t, src, "app1")
		_, err := Import(ctx, src, bytes.NewReader(export))
		if !errors.Is(err, ErrAppExists) || !strings.Contains(err.Error(), `"app1"`) {
			t.Fatalf("error %v, want ErrAppExists naming the app", err)
		}
		if again := exportApp(t, src, "app1"); !bytes.Equal(again, export) {
			t.Error("the refused import changed the existing app")
		}
	})
}

// validExport is a small export to break in the malformed-input tests.
func validExport(t testing.TB, open teststores.Opener) []string {
	t.Helper()
	src := open(t)
	populate(t, src, "app1", 3, 2)
	return strings.Split(strings.TrimSuffix(string(exportApp(t, src, "app1")), "\n"), "\n")
}

func TestImportMalformed(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		base := validExport(t, open)
		last := len(base) - 1 // index of the end record
		firstCred := -1
		firstAlias := -1
		for i, l := range base {
			if firstCred < 0 && strings.Contains(l, `"kind":"credential"`) {
				firstCred = i
			}
			if firstAlias < 0 && strings.Contains(l, `"kind":"alias"`) {
				firstAlias = i
			}
		}
		if firstCred < 0 || firstAlias < 0 {
			t.Fatal("export without credentials or aliases")
		}
		// edit returns a copy of base changed by f.
		edit := func(f func(lines []string) []string) string {
			return strings.Join(f(append([]string(nil), base...)), "\n") + "\n"
		}
		replace := func(i int, old, new string) func([]string) []string {
			return func(l []string) []string {
				if !strings.Contains(l[i], old) {
					t.Fatalf("line %d has no %q: %s", i+1, old, l[i])
				}
				l[i] = strings.Replace(l[i], old, new, 1)
				return l
			}
		}
		insert := func(i int, line string) func([]string) []string {
			return func(l []string) []string { return append(l[:i], append([]string{line}, l[i:]...)...) }
		}
		for _, tc := range []struct {
			name  string
			input string
			want  string // in the error
		}{
			{"empty input", "", "empty input"},
			{"blank lines only", "\n \n", "empty input"},
			{"header not JSON", edit(replace(0, `{"format"`, `{format`)), "line 1: header"},
			{"header not an object", "[1,2]\n", "line 1: header"},
			{"wrong format", edit(replace(0, Format, "other-export")), `line 1: header: format "other-export"`},
			{"wrong version", edit(replace(0, `"version":1`, `"version":2`)), "line 1: header: version 2"},
			{"version as string", edit(replace(0, `"version":1`, `"version":"1"`)), "line 1: header"},
			{"header without app", edit(func(l []string) []string { l[0] = `{"format":"passwordless-export","version":1}`; return l }), `no "app"`},
			{"empty app id", edit(replace(0, `"id":"app1"`, `"id":""`)), "app id is empty"},
			{"unknown member in header", edit(replace(0, `"version":1`, `"version":1,"extra":true`)), "line 1: header"},
			{"unknown kind", edit(insert(2, `{"kind":"event","id":"x"}`)), `line 3: unknown record kind "event"`},
			{"record without kind", edit(insert(2, `{"id":"x"}`)), `line 3: record without "kind"`},
			{"record not an object", edit(insert(2, `"credential"`)), "line 3: malformed record"},
			{"null record", edit(insert(2, `null`)), `line 3: record without "kind"`},
			{"unknown member", edit(replace(firstCred, `"kind":"credential"`, `"kind":"credential","extra":1`)),
				fmt.Sprintf("line %d: malformed credential record", firstCred+1)},
			{"two objects on a line", edit(func(l []string) []string { l[firstCred] += l[firstCred]; return l }),
				fmt.Sprintf("line %d: malformed record", firstCred+1)},
			{"trailing data on a line", edit(func(l []string) []string { l[firstCred] += " x"; return l }),
				fmt.Sprintf("line %d: malformed record", firstCred+1)},
			{"truncated line", edit(func(l []string) []string { l[last-1] = l[last-1][:len(l[last-1])/2]; return l[:last] }),
				fmt.Sprintf("line %d: malformed record", last)},
			{"cut at a line boundary", edit(func(l []string) []string { return l[:last-1] }), "incomplete export: no end record"},
			{"only the header", base[0] + "\n", "incomplete export"},
			{"record after the end", edit(func(l []string) []string { return append(l, l[firstCred]) }),
				fmt.Sprintf("line %d: record after the end record", last+2)},
			{"end counts differ", edit(replace(last, `"credentials":3`, `"credentials":4`)), fmt.Sprintf("line %d: end record counts", last+1)},
			{"duplicate credential", edit(func(l []string) []string {
				l = insert(firstCred+1, l[firstCred])(l)
				l[last+1] = strings.Replace(l[last+1], `"credentials":3`, `"credentials":4`, 1)
				return l
			}), "a credential id is repeated"},
			{"duplicate alias", edit(func(l []string) []string {
				l = insert(firstAlias+1, l[firstAlias])(l)
				l[last+1] = strings.Replace(l[last+1], `"aliases":2`, `"aliases":3`, 1)
				return l
			}), "an alias hash is repeated"},
			{"bad base64", edit(replace(firstCred, `"publicKey":"`, `"publicKey":"!`)), fmt.Sprintf("line %d: malformed credential", firstCred+1)},
			{"credential without id", edit(func(l []string) []string {
				l[firstCred] = `{"kind":"credential","userId":"u","publicKey":"AQ=="}`
				return l
			}), fmt.Sprintf("line %d: credential without id", firstCred+1)},
			{"sign count out of range", edit(func(l []string) []string {
				l[firstCred] = `{"kind":"credential","id":"AQ==","userId":"u","publicKey":"AQ==","signCount":4294967296}`
				return l
			}), fmt.Sprintf("line %d: malformed credential", firstCred+1)},
			{"bad time", edit(replace(firstCred, `"createdAt":"2025-`, `"createdAt":"yesterday-`)), fmt.Sprintf("line %d: malformed credential", firstCred+1)},
			{"alias without hash", edit(func(l []string) []string { l[firstAlias] = `{"kind":"alias","userId":"u"}`; return l }),
				fmt.Sprintf("line %d: alias without hash", firstAlias+1)},
			{"plaintext secret", edit(insert(2, `{"kind":"apiKey","id":"wxyz","type":"secret","value":"app1:secret:0123wxyz","createdAt":"2025-03-01T12:00:00Z"}`)),
				"line 3: API key \"wxyz\": secret in clear"},
			{"unknown key type", edit(insert(2, `{"kind":"apiKey","id":"wxyz","type":"admin","value":"x","createdAt":"2025-03-01T12:00:00Z"}`)),
				`line 3: API key "wxyz": type "admin"`},
			{"bad ttl", edit(func(l []string) []string {
				for i, s := range l {
					if strings.Contains(s, `"kind":"authConfig"`) {
						l[i] = `{"kind":"authConfig","purpose":"p","ttl":"soon"}`
						return l
					}
				}
				t.Fatal("no authConfig line")
				return nil
			}), `auth config "p": ttl`},
			{"line too long", edit(insert(2, `{"kind":"alias","userId":"`+strings.Repeat("x", maxLine)+`"}`)), "line 3: longer than"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				st := open(t)
				_, err := Import(t.Context(), st, strings.NewReader(tc.input))
				if err == nil {
					t.Fatal("import succeeded")
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %q does not contain %q", err, tc.want)
				}
				// Nothing is left behind.
				ids, err := st.ListAppIDs(t.Context())
				must(t, err)
				if len(ids) != 0 {
					t.Fatalf("apps left after a failed import: %v", ids)
				}
				n, err := st.CountCredentials(t.Context(), "app1")
				must(t, err)
				if n != 0 {
					t.Fatalf("%d credentials left after a failed import", n)
				}
			})
		}
	})
}
