package transfer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// ErrAppExists is returned by Import when the target store already has an
// app with the exported id.
var ErrAppExists = errors.New("app exists in the target store")

// maxLine bounds one line of an export; real records are a few KiB.
const maxLine = 4 << 20

// ImportStore is the part of store.Store Import uses.
type ImportStore interface {
	AuthConfigWriter
	AddAPIKey(ctx context.Context, key store.APIKey) error
	AddTokenKey(ctx context.Context, key store.TokenKey) error
	CreateApp(ctx context.Context, app store.App, keys []store.APIKey) error
	DeleteApp(ctx context.Context, appID string) error
	GetApp(ctx context.Context, appID string) (store.App, error)
	ImportAliases(ctx context.Context, appID string, aliases []store.UserAlias) error
	ImportCredentials(ctx context.Context, creds []store.Credential) error
	PutAuthenticators(ctx context.Context, appID string, aaguids []string, isAllowed bool, now time.Time) error
}

// Import reads an export from r and stores the app it holds in st. It
// returns the app id. Every line is checked; the first malformed one stops
// the import with an error naming its line number, and whatever was written
// of the app is deleted again.
func Import(ctx context.Context, st ImportStore, r io.Reader) (appID string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	lines := &lineReader{sc: sc}

	first, ok := lines.next()
	if !ok {
		if err := lines.err(); err != nil {
			return "", err
		}
		return "", errors.New("import: empty input, want an export header")
	}
	h, err := parseHeader(first)
	if err != nil {
		return "", fmt.Errorf("import: line %d: %w", lines.n, err)
	}
	appID = h.App.ID
	if _, err := st.GetApp(ctx, appID); err == nil {
		return "", fmt.Errorf("import app %q: %w", appID, ErrAppExists)
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("import app %q: %w", appID, err)
	}

	im := &importer{st: st, app: h.App.app()}
	err = im.run(ctx, lines)
	if err != nil && im.created {
		// Leave nothing half imported, so the import can be retried.
		if derr := st.DeleteApp(context.WithoutCancel(ctx), appID); derr != nil {
			err = errors.Join(err, fmt.Errorf("remove partly imported app: %w", derr))
		}
	}
	if err != nil {
		return "", fmt.Errorf("import app %q: %w", appID, err)
	}
	return appID, nil
}

// lineReader yields non-blank lines and counts every line.
type lineReader struct {
	sc *bufio.Scanner
	n  int
}

func (l *lineReader) next() ([]byte, bool) {
	for l.sc.Scan() {
		l.n++
		if line := bytes.TrimSpace(l.sc.Bytes()); len(line) > 0 {
			return line, true
		}
	}
	return nil, false
}

func (l *lineReader) err() error {
	err := l.sc.Err()
	if errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("line %d: longer than %d bytes", l.n+1, maxLine)
	}
	if err != nil {
		return fmt.Errorf("after line %d: %w", l.n, err)
	}
	return nil
}

// parseHeader decodes and checks the first line.
func parseHeader(line []byte) (header, error) {
	var h header
	if err := decodeStrict(line, &h); err != nil {
		return header{}, fmt.Errorf("header: %w", err)
	}
	if h.Format != Format {
		return header{}, fmt.Errorf("header: format %q, want %q", h.Format, Format)
	}
	if h.Version != Version {
		return header{}, fmt.Errorf("header: version %d is not supported (want %d)", h.Version, Version)
	}
	if err := h.App.validate(); err != nil {
		return header{}, fmt.Errorf("header: %w", err)
	}
	return h, nil
}

// parseRecord decodes one record line into its record type (a value of
// apiKeyRecord, tokenKeyRecord, ...). Unknown kinds and unknown members
// are errors: a newer exporter's data must not be dropped silently.
func parseRecord(line []byte) (any, error) {
	var k struct {
		Kind *string `json:"kind"`
	}
	if err := json.Unmarshal(line, &k); err != nil {
		return nil, fmt.Errorf("malformed record: %w", err)
	}
	if k.Kind == nil {
		return nil, errors.New(`record without "kind"`)
	}
	var rec any
	switch *k.Kind {
	case kindAPIKey:
		rec = &apiKeyRecord{}
	case kindTokenKey:
		rec = &tokenKeyRecord{}
	case kindAuthConfig:
		rec = &authConfigRecord{}
	case kindAuthenticator:
		rec = &authenticatorRecord{}
	case kindCredential:
		rec = &credentialRecord{}
	case kindAlias:
		rec = &aliasRecord{}
	case kindEnd:
		rec = &endRecord{}
	default:
		return nil, fmt.Errorf("unknown record kind %q", *k.Kind)
	}
	if err := decodeStrict(line, rec); err != nil {
		return nil, fmt.Errorf("malformed %s record: %w", *k.Kind, err)
	}
	return rec, nil
}

// decodeStrict decodes exactly one JSON value with no unknown members.
func decodeStrict(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// importer writes the records of one app as they come.
type importer struct {
	st      ImportStore
	app     store.App
	keys    []store.APIKey // held until the app is created
	created bool
	n       counts
	ended   bool

	creds     []store.Credential
	credsFrom int // line of creds[0]
	aliases   []store.UserAlias
	aliasFrom int
}

func (im *importer) run(ctx context.Context, lines *lineReader) error {
	for {
		line, ok := lines.next()
		if !ok {
			break
		}
		if im.ended {
			return fmt.Errorf("line %d: record after the end record", lines.n)
		}
		rec, err := parseRecord(line)
		if err != nil {
			return fmt.Errorf("line %d: %w", lines.n, err)
		}
		if err := im.add(ctx, rec, lines.n); err != nil {
			return fmt.Errorf("line %d: %w", lines.n, err)
		}
	}
	if err := lines.err(); err != nil {
		return err
	}
	if !im.ended {
		return fmt.Errorf("incomplete export: no end record after line %d", lines.n)
	}
	return nil
}

func (im *importer) add(ctx context.Context, rec any, line int) error {
	if k, ok := rec.(*apiKeyRecord); ok {
		key, err := k.key(im.app.ID)
		if err != nil {
			return err
		}
		im.n.APIKeys++
		if !im.created {
			// Sent with the app, all or nothing.
			im.keys = append(im.keys, key)
			return nil
		}
		return im.st.AddAPIKey(ctx, key)
	}
	if err := im.create(ctx); err != nil {
		return err
	}
	appID := im.app.ID
	switch r := rec.(type) {
	case *tokenKeyRecord:
		k, err := r.key(appID)
		if err != nil {
			return err
		}
		im.n.TokenKeys++
		return im.st.AddTokenKey(ctx, k)
	case *authConfigRecord:
		c, err := r.config(appID)
		if err != nil {
			return err
		}
		im.n.AuthConfigs++
		return PutAuthConfig(ctx, im.st, c)
	case *authenticatorRecord:
		if err := r.validate(); err != nil {
			return err
		}
		im.n.Authenticators++
		return im.st.PutAuthenticators(ctx, appID, []string{r.AAGUID}, r.IsAllowed, r.CreatedAt)
	case *credentialRecord:
		c, err := r.credential(appID)
		if err != nil {
			return err
		}
		im.n.Credentials++
		if len(im.creds) == 0 {
			im.credsFrom = line
		}
		im.creds = append(im.creds, c)
		if len(im.creds) >= batchSize {
			return im.flushCredentials(ctx, line)
		}
		return nil
	case *aliasRecord:
		a, err := r.alias()
		if err != nil {
			return err
		}
		im.n.Aliases++
		if len(im.aliases) == 0 {
			im.aliasFrom = line
		}
		im.aliases = append(im.aliases, a)
		if len(im.aliases) >= batchSize {
			return im.flushAliases(ctx, line)
		}
		return nil
	case *endRecord:
		if err := im.flushCredentials(ctx, line); err != nil {
			return err
		}
		if err := im.flushAliases(ctx, line); err != nil {
			return err
		}
		if r.counts != im.n {
			return fmt.Errorf("end record counts %+v, but the export holds %+v", r.counts, im.n)
		}
		im.ended = true
		return nil
	}
	return fmt.Errorf("unexpected record %T", rec)
}

// create stores the app with the API keys read so far, once.
func (im *importer) create(ctx context.Context) error {
	if im.created {
		return nil
	}
	if err := im.st.CreateApp(ctx, im.app, im.keys); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return ErrAppExists
		}
		return err
	}
	im.created, im.keys = true, nil
	return nil
}

// flushCredentials writes the pending batch. Its error names the lines of
// the batch, for the store reports conflicts per batch.
func (im *importer) flushCredentials(ctx context.Context, line int) error {
	if len(im.creds) == 0 {
		return nil
	}
	if err := im.st.ImportCredentials(ctx, im.creds); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("credentials of lines %d-%d: a credential id is repeated: %w", im.credsFrom, line, err)
		}
		return fmt.Errorf("credentials of lines %d-%d: %w", im.credsFrom, line, err)
	}
	im.creds = im.creds[:0]
	return nil
}

func (im *importer) flushAliases(ctx context.Context, line int) error {
	if len(im.aliases) == 0 {
		return nil
	}
	if err := im.st.ImportAliases(ctx, im.app.ID, im.aliases); err != nil {
		if errors.Is(err, store.ErrAliasConflict) {
			return fmt.Errorf("aliases of lines %d-%d: an alias hash is repeated: %w", im.aliasFrom, line, err)
		}
		return fmt.Errorf("aliases of lines %d-%d: %w", im.aliasFrom, line, err)
	}
	im.aliases = im.aliases[:0]
	return nil
}
