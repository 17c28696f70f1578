// Package apimigrate copies a live app from a Passwordless.dev server (the
// hosted service or a self-hosted one, or another server speaking its
// API) into a store, reading only the source's private API with the app's
// ApiSecret: every user's credentials (COSE public keys, counters, backup
// flags, dates), aliases (hashes, and plaintexts where kept), the sign-in
// purposes and the authenticator allow and block lists. The app keeps its
// id, so hashed aliases, which are salted with it, keep working.
//
// While an import runs the target app carries a marker: a locked
// placeholder API key with the id "import" whose value records the source.
// The app's new API keys are created locked with it, in the same
// transaction, so an unfinished import cannot be used by mistake. A run
// that meets the marker of the same source resumes: it makes each user on
// the target equal to the user on the source (writing only what differs),
// and at the end unlocks the keys and removes the marker. An app without
// the marker is never written to.
package apimigrate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/passwordless-oss/server/internal/apikey"
	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/transfer"
)

// ListLimit is the most users GET /users/list of the original returns; it
// has no paging, so a list that long may be cut.
const ListLimit = 1000

// ErrListCut is returned when GET /users/list may have left users out and
// no users file was given.
var ErrListCut = errors.New("the user list may be cut")

// ErrUnfinished is wrapped by the error of a run that stopped part way:
// the target app is marked unfinished, and running again resumes.
var ErrUnfinished = errors.New("the import is unfinished")

// Options configure a run.
type Options struct {
	// SourceURL is the base URL of the source API (https://v4.passwordless.dev).
	SourceURL string
	// Secret is the app's ApiSecret on the source; the app id is its prefix.
	Secret string
	// UserIDs, when not nil, are the users to copy instead of those of
	// GET /users/list.
	UserIDs []string
	// DryRun reads everything from the source and writes nothing.
	DryRun bool
	// AdminEmail is the admin e-mail of a newly created app.
	AdminEmail string
	// Concurrency bounds the users read and written at once (default 4).
	Concurrency int
	// HTTPClient makes the requests (default: a new http.Client).
	HTTPClient *http.Client
	// Retry is the retry policy (zero: DefaultRetry).
	Retry Retry
	// RequestTimeout bounds each try of a request (default 30 s).
	RequestTimeout time.Duration
	// Out receives the new API keys and the summary.
	Out io.Writer
	// Progress receives the progress display; Terminal draws it as a bar
	// redrawn in place, else it is written as plain lines every
	// ProgressInterval (default 10 s).
	Progress         io.Writer
	Terminal         bool
	ProgressInterval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Retry == (Retry{}) {
		o.Retry = DefaultRetry
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// AppID returns the app id of an ApiSecret.
func AppID(secret string) (string, error) {
	appID, rest, ok := strings.Cut(secret, ":")
	if !ok || !strings.HasPrefix(rest, "secret:") {
		if strings.HasPrefix(rest, "public:") {
			return "", errors.New("the API secret is a public ApiKey; pass the app's ApiSecret (<app>:secret:…)")
		}
		return "", errors.New("the API secret is not of the form <app>:secret:…")
	}
	if apps.ValidateAppID(appID) != nil {
		return "", fmt.Errorf("the app id %q of the API secret is not one this server accepts (3–62 lower-case letters and digits, starting with a letter)", appID)
	}
	return appID, nil
}

// Store is the part of store.Store a migration uses.
type Store interface {
	transfer.AuthConfigWriter
	CreateApp(ctx context.Context, app store.App, keys []store.APIKey) error
	DeleteAPIKey(ctx context.Context, appID, keyID string) error
	DeleteAuthConfig(ctx context.Context, appID, purpose string) error
	DeleteCredential(ctx context.Context, appID string, credentialID []byte) (userID string, err error)
	GetAPIKey(ctx context.Context, appID, keyID string) (store.APIKey, error)
	GetApp(ctx context.Context, appID string) (store.App, error)
	ImportCredentials(ctx context.Context, creds []store.Credential) error
	ListAliases(ctx context.Context, appID, userID string) ([]store.Alias, error)
	ListAuthConfigs(ctx context.Context, appID string) ([]store.AuthConfig, error)
	ListAuthenticators(ctx context.Context, appID string, isAllowed bool) ([]store.AuthenticatorEntry, error)
	ListCredentials(ctx context.Context, appID, userID string) ([]store.Credential, error)
	PutAuthenticators(ctx context.Context, appID string, aaguids []string, isAllowed bool, now time.Time) error
	RemoveAuthenticators(ctx context.Context, appID string, aaguids []string) error
	ReplaceAliases(ctx context.Context, appID, userID string, aliases []store.Alias) error
	SetAPIKeyLocked(ctx context.Context, appID, keyID string, locked bool, at time.Time) error
	UpdateFeatures(ctx context.Context, appID string, u store.FeaturesUpdate) error
}

// Run copies the app of opt.Secret from the source into st (which may be
// nil for a dry run against a database that does not exist yet).
func Run(ctx context.Context, st Store, opt Options) (*Summary, error) {
	opt.defaults()
	appID, err := AppID(opt.Secret)
	if err != nil {
		return nil, err
	}
	c, err := newClient(opt.SourceURL, opt.Secret, opt.HTTPClient, opt.Retry, opt.RequestTimeout)
	if err != nil {
		return nil, err
	}
	m := &migration{opt: opt, st: st, appID: appID, sourceName: c.base.String(),
		src: &source{c: c, appID: appID}, sum: &Summary{AppID: appID, DryRun: opt.DryRun}}
	m.progress = newProgress(opt.Progress, opt.Terminal, opt.ProgressInterval, opt.Now)
	c.onRetry = m.progress.retry
	return m.sum, m.run(ctx)
}

type migration struct {
	opt        Options
	st         Store
	appID      string
	sourceName string
	src        *source
	sum        *Summary
	progress   *progress
	marker     *marker // nil while the target has no app

	mu sync.Mutex // guards sum during the user phase
}

// appData is what the source has for the app as a whole.
type appData struct {
	configs        []store.AuthConfig
	onPlan         bool
	authenticators []store.AuthenticatorEntry
}

func (m *migration) run(ctx context.Context) error {
	// Nothing is written before the source has answered every app-wide
	// request, so a wrong secret or address leaves no trace.
	if err := m.inspectTarget(ctx); err != nil {
		return err
	}
	users, err := m.users(ctx)
	if err != nil {
		return err
	}
	data, err := m.readApp(ctx)
	if err != nil {
		return err
	}
	m.sum.Users = len(users)
	m.sum.Purposes, m.sum.Authenticators = len(data.configs), len(data.authenticators)
	if m.opt.DryRun {
		m.describePlan(data, len(users))
	} else {
		if err := m.prepareTarget(ctx, data); err != nil {
			return err
		}
		if err := m.writeApp(ctx, data); err != nil {
			return m.unfinished(fmt.Errorf("write the app's settings: %w", err))
		}
	}
	if err := m.copyUsers(ctx, users); err != nil {
		return m.unfinished(err)
	}
	if m.opt.DryRun {
		return nil
	}
	if len(m.sum.Failed) > 0 {
		return m.unfinished(fmt.Errorf("%d users could not be copied (listed above)", len(m.sum.Failed)))
	}
	if err := m.finish(ctx); err != nil {
		return m.unfinished(fmt.Errorf("mark the import complete: %w", err))
	}
	m.sum.Complete = true
	return nil
}

// unfinished explains, for a run that stopped after the target app was
// created, that the app is not usable yet and how to go on.
func (m *migration) unfinished(err error) error {
	if m.opt.DryRun || m.marker == nil {
		return err
	}
	if errors.Is(err, context.Canceled) {
		err = errors.New("interrupted")
	}
	return fmt.Errorf("%w; %w: app %q stays locked; run the same command again to resume", err, ErrUnfinished, m.appID)
}

// users returns the user ids to copy: the users file, or GET /users/list
// when that cannot have been cut.
func (m *migration) users(ctx context.Context) ([]string, error) {
	if m.opt.UserIDs != nil {
		return dedupe(m.opt.UserIDs), nil
	}
	ids, err := m.src.users(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) >= ListLimit {
		return nil, fmt.Errorf("%w: GET /users/list returned %d users, and the source returns at most %d there without paging. "+
			"List every user id of the app in a file, one a line, and pass it with --users-file", ErrListCut, len(ids), ListLimit)
	}
	return dedupe(ids), nil
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (m *migration) readApp(ctx context.Context) (appData, error) {
	var d appData
	var err error
	if d.configs, err = m.src.authConfigs(ctx); err != nil {
		return d, err
	}
	allow, onPlan, err := m.src.authenticators(ctx, true)
	if err != nil {
		return d, err
	}
	d.onPlan = onPlan
	if onPlan {
		block, _, err := m.src.authenticators(ctx, false)
		if err != nil {
			return d, err
		}
		d.authenticators = append(allow, block...)
	}
	return d, nil
}

func (m *migration) describePlan(d appData, users int) {
	w := m.opt.Out
	fmt.Fprintln(w, "Dry run: nothing is written.")
	if m.marker != nil {
		fmt.Fprintf(w, "Would resume the unfinished import of app %q begun %s.\n", m.appID, m.marker.Started.Format(time.RFC3339))
	} else {
		fmt.Fprintf(w, "Would create app %q and print its new API keys.\n", m.appID)
	}
	names := make([]string, 0, len(d.configs))
	for _, c := range d.configs {
		names = append(names, c.Purpose)
	}
	fmt.Fprintf(w, "Sign-in purposes: %d %s\n", len(d.configs), listed(names))
	if d.onPlan {
		allowed, blocked := countLists(d.authenticators)
		fmt.Fprintf(w, "Authenticators: %d allowed, %d blocked (attestation on)\n", allowed, blocked)
	} else {
		fmt.Fprintln(w, "Authenticators: none (the app's plan has no attestation)")
	}
	fmt.Fprintf(w, "Users to read: %d\n", users)
}

func listed(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "(" + strings.Join(names, ", ") + ")"
}

func countLists(entries []store.AuthenticatorEntry) (allowed, blocked int) {
	for _, e := range entries {
		if e.IsAllowed {
			allowed++
		} else {
			blocked++
		}
	}
	return allowed, blocked
}

// copyUsers reads and writes users with bounded concurrency. A failing
// request to the source or a failing store stops every worker; problems
// of single users are recorded in the summary.
func (m *migration) copyUsers(ctx context.Context, users []string) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	m.progress.start(len(users))
	defer m.progress.finish()
	work := make(chan string)
	var wg sync.WaitGroup
	for range min(m.opt.Concurrency, max(len(users), 1)) {
		wg.Go(func() {
			for id := range work {
				if err := m.copyUser(ctx, id); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
feed:
	for _, id := range users {
		select {
		case work <- id:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return context.Cause(ctx)
}

func (m *migration) copyUser(ctx context.Context, userID string) error {
	creds, err := m.src.credentials(ctx, userID)
	if err != nil {
		return err
	}
	aliases, err := m.src.aliases(ctx, userID)
	if err != nil {
		return err
	}
	if len(creds) == 0 && len(aliases) == 0 {
		m.record(func(s *Summary) { s.NotFound = append(s.NotFound, userID) })
		m.progress.add(1, 0)
		return nil
	}
	if store.CheckUserID(userID) != nil {
		m.fail(userID, fmt.Sprintf("the user id is longer than the %d bytes this server stores", store.MaxStoredUserIDBytes))
		m.progress.add(1, 0)
		return nil
	}
	var w userWrite
	if m.opt.DryRun {
		w = userWrite{newCreds: len(creds), newAliases: len(aliases)}
	} else if w, err = m.writeUser(ctx, userID, creds, aliases); err != nil {
		var uf userFailure
		if !errors.As(err, &uf) {
			return fmt.Errorf("user %q: %w", userID, err)
		}
		m.fail(userID, uf.reason)
	}
	m.record(func(s *Summary) {
		s.Credentials += w.newCreds
		s.CredentialsAlreadyThere += w.keptCreds
		s.Aliases += w.newAliases
		s.AliasesAlreadyThere += w.keptAliases
	})
	m.progress.add(1, len(creds))
	return nil
}

func (m *migration) record(f func(*Summary)) {
	m.mu.Lock()
	f(m.sum)
	m.mu.Unlock()
}

func (m *migration) fail(userID, reason string) {
	m.record(func(s *Summary) { s.Failed = append(s.Failed, UserFailure{UserID: userID, Reason: reason}) })
}

// userFailure is a user the target cannot take as the source has it; the
// run goes on with the others.
type userFailure struct{ reason string }

func (f userFailure) Error() string { return f.reason }

type userWrite struct {
	newCreds, keptCreds, newAliases, keptAliases int
}

// writeUser makes the user's credentials and aliases on the target equal
// to those of the source, writing only what differs, so that a resumed
// run neither duplicates nor loses anything.
func (m *migration) writeUser(ctx context.Context, userID string, creds []store.Credential, aliases []store.Alias) (userWrite, error) {
	var w userWrite
	have, err := m.st.ListCredentials(ctx, m.appID, userID)
	if err != nil {
		return w, err
	}
	want := make(map[string]store.Credential, len(creds))
	for _, c := range creds {
		want[string(c.ID)] = c
	}
	kept := map[string]bool{}
	for _, h := range have {
		if c, ok := want[string(h.ID)]; ok && sameCredential(c, h) {
			kept[string(h.ID)] = true
			continue
		}
		// Changed or gone on the source since an earlier run.
		if _, err := m.st.DeleteCredential(ctx, m.appID, h.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return w, err
		}
	}
	var missing []store.Credential
	for _, c := range creds {
		if !kept[string(c.ID)] {
			missing = append(missing, c)
		}
	}
	w.keptCreds = len(kept)
	if len(missing) > 0 {
		err := m.st.ImportCredentials(ctx, missing)
		switch {
		case errors.Is(err, store.ErrConflict):
			return w, userFailure{"a credential id of the user belongs to another user in the target database"}
		case err != nil:
			return w, err
		}
		w.newCreds = len(missing)
	}

	haveAliases, err := m.st.ListAliases(ctx, m.appID, userID)
	if err != nil {
		return w, err
	}
	if sameAliases(haveAliases, aliases) {
		w.keptAliases = len(aliases)
		return w, nil
	}
	err = m.st.ReplaceAliases(ctx, m.appID, userID, aliases)
	switch {
	case errors.Is(err, store.ErrAliasConflict):
		return w, userFailure{"an alias of the user belongs to another user in the target database (it may have moved on the source during the import; running again settles it)"}
	case err != nil:
		return w, err
	}
	w.newAliases = len(aliases)
	return w, nil
}

func sameAliases(a, b []store.Alias) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(x store.Alias) string { return x.Hash + "\x00" + x.Plaintext }
	set := make(map[string]bool, len(a))
	for _, x := range a {
		set[key(x)] = true
	}
	for _, x := range b {
		if !set[key(x)] {
			return false
		}
	}
	return true
}

// The marker of an unfinished import (see the package comment).

const (
	markerKeyID  = "import" // never the id of a real key: those are four characters
	markerPrefix = "passwordless-import$"
)

type marker struct {
	Source  string    `json:"source"`
	Started time.Time `json:"started"`
	// Keys are the ids of the app's new API keys, locked until the end.
	Keys []string `json:"keys"`
}

func (mk marker) key(appID string, now time.Time) store.APIKey {
	b, _ := json.Marshal(mk)
	return store.APIKey{AppID: appID, ID: markerKeyID, Kind: store.KeySecret,
		Value:  markerPrefix + base64.RawURLEncoding.EncodeToString(b),
		Locked: true, LastLockedAt: &now, CreatedAt: now}
}

func parseMarker(k store.APIKey) (*marker, error) {
	enc, ok := strings.CutPrefix(k.Value, markerPrefix)
	if !ok {
		return nil, errors.New("not an import marker")
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return nil, err
	}
	var mk marker
	if err := json.Unmarshal(b, &mk); err != nil {
		return nil, err
	}
	return &mk, nil
}

// inspectTarget finds out whether the app is new to the target, an
// unfinished import from this source (then the run resumes), or anything
// else (then the run is refused).
func (m *migration) inspectTarget(ctx context.Context) error {
	if m.st == nil {
		return nil
	}
	if _, err := m.st.GetApp(ctx, m.appID); errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read app %q in the target database: %w", m.appID, err)
	}
	refuse := fmt.Errorf("app %q exists in the target database and is not an unfinished import from %s; "+
		"refusing to merge into it. To import it again, delete it there first: %w", m.appID, m.sourceName, transfer.ErrAppExists)
	k, err := m.st.GetAPIKey(ctx, m.appID, markerKeyID)
	if errors.Is(err, store.ErrNotFound) {
		return refuse
	} else if err != nil {
		return fmt.Errorf("read app %q in the target database: %w", m.appID, err)
	}
	mk, err := parseMarker(k)
	if err != nil {
		return refuse
	}
	if mk.Source != m.sourceName {
		return fmt.Errorf("app %q in the target database is an unfinished import from %s, not from %s; "+
			"run the command with that source to finish it, or delete the app there first: %w", m.appID, mk.Source, m.sourceName, transfer.ErrAppExists)
	}
	m.marker = mk
	m.sum.Resumed = true
	return nil
}

// prepareTarget creates the app, locked and marked, or announces that
// the run resumes.
func (m *migration) prepareTarget(ctx context.Context, d appData) error {
	if m.marker != nil {
		fmt.Fprintf(m.opt.Out, "Resuming the import of app %q begun %s; the API keys printed then become usable when it completes.\n",
			m.appID, m.marker.Started.Format(time.RFC3339))
		return nil
	}
	now := m.opt.Now().UTC()
	values, err := newKeyValues(m.appID)
	if err != nil {
		return err
	}
	mk := &marker{Source: m.sourceName, Started: now}
	keys := make([]store.APIKey, 0, len(values)+1)
	for i, v := range values {
		kind, scopes := store.KeyPublic, []string{apikey.ScopeRegister, apikey.ScopeLogin}
		stored := v
		if i >= 2 {
			kind, scopes, stored = store.KeySecret, []string{apikey.ScopeTokenRegister, apikey.ScopeTokenVerify}, apikey.HashSecret(v)
		}
		keys = append(keys, store.APIKey{AppID: m.appID, ID: apikey.ID(v), Kind: kind, Value: stored, Scopes: scopes,
			Locked: true, LastLockedAt: &now, CreatedAt: now})
		mk.Keys = append(mk.Keys, apikey.ID(v))
	}
	keys = append(keys, mk.key(m.appID, now))
	app := store.App{ID: m.appID, AdminEmail: m.opt.AdminEmail, CreatedAt: now, Features: store.Features{
		// The defaults of app creation; the source's API does not show its features.
		EventLoggingRetentionDays:  365,
		GenerateSignInTokenEnabled: true,
		MagicLinksEnabled:          true,
		AllowAttestation:           d.onPlan,
	}}
	if err := m.st.CreateApp(ctx, app, keys); errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("app %q was created in the target database meanwhile: %w", m.appID, transfer.ErrAppExists)
	} else if err != nil {
		return fmt.Errorf("create app %q: %w", m.appID, err)
	}
	m.marker = mk
	fmt.Fprintf(m.opt.Out, `Created app %q. Store these keys safely; they are shown only now, and work once the import completes.
  ApiKey:    %s
  ApiKey:    %s
  ApiSecret: %s
  ApiSecret: %s
`, m.appID, values[0], values[1], values[2], values[3])
	return nil
}

// newKeyValues makes two public keys and two secrets with distinct key ids.
func newKeyValues(appID string) ([4]string, error) {
	var out [4]string
	seen := map[string]bool{}
	for i := range out {
		kind := store.KeyPublic
		if i >= 2 {
			kind = store.KeySecret
		}
		for draw := 0; ; draw++ {
			if draw == 20 {
				return out, errors.New("no distinct API key ids in 20 draws")
			}
			if v := apikey.Generate(appID, kind); !seen[apikey.ID(v)] {
				seen[apikey.ID(v)] = true
				out[i] = v
				break
			}
		}
	}
	return out, nil
}

// writeApp makes the app-wide data of the target equal to the source's.
func (m *migration) writeApp(ctx context.Context, d appData) error {
	if err := m.st.UpdateFeatures(ctx, m.appID, store.FeaturesUpdate{AllowAttestation: store.To(d.onPlan)}); err != nil {
		return err
	}
	stored, err := m.st.ListAuthConfigs(ctx, m.appID)
	if err != nil {
		return err
	}
	for _, c := range stored {
		if !slices.ContainsFunc(d.configs, func(s store.AuthConfig) bool { return s.Purpose == c.Purpose }) {
			if err := m.st.DeleteAuthConfig(ctx, m.appID, c.Purpose); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	for _, c := range d.configs {
		if err := transfer.PutAuthConfig(ctx, m.st, c); err != nil {
			return fmt.Errorf("sign-in purpose %q: %w", c.Purpose, err)
		}
	}

	for _, allowed := range []bool{true, false} {
		have, err := m.st.ListAuthenticators(ctx, m.appID, allowed)
		if err != nil {
			return err
		}
		var gone []string
		for _, h := range have {
			if !slices.ContainsFunc(d.authenticators, func(e store.AuthenticatorEntry) bool { return e.AAGUID == h.AAGUID && e.IsAllowed == allowed }) {
				gone = append(gone, h.AAGUID)
			}
		}
		if len(gone) > 0 {
			if err := m.st.RemoveAuthenticators(ctx, m.appID, gone); err != nil {
				return err
			}
		}
	}
	for _, e := range d.authenticators {
		at := e.CreatedAt
		if at.IsZero() {
			at = m.opt.Now().UTC()
		}
		if err := m.st.PutAuthenticators(ctx, m.appID, []string{e.AAGUID}, e.IsAllowed, at); err != nil {
			return fmt.Errorf("authenticator %s: %w", e.AAGUID, err)
		}
	}
	return nil
}

// finish unlocks the new keys and removes the marker, last: until then a
// run resumes.
func (m *migration) finish(ctx context.Context) error {
	now := m.opt.Now().UTC()
	for _, id := range m.marker.Keys {
		err := m.st.SetAPIKeyLocked(ctx, m.appID, id, false, now)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if err := m.st.DeleteAPIKey(ctx, m.appID, markerKeyID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}
