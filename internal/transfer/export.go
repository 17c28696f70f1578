package transfer

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/passwordless-oss/server/internal/store"
)

// ExportStore is the part of store.Store Export reads.
type ExportStore interface {
	GetApp(ctx context.Context, appID string) (store.App, error)
	ListAPIKeys(ctx context.Context, appID string) ([]store.APIKey, error)
	ListAliasesPage(ctx context.Context, appID, after string, limit int) ([]store.UserAlias, error)
	ListAuthConfigs(ctx context.Context, appID string) ([]store.AuthConfig, error)
	ListAuthenticators(ctx context.Context, appID string, isAllowed bool) ([]store.AuthenticatorEntry, error)
	ListCredentialsPage(ctx context.Context, appID string, after []byte, limit int) ([]store.Credential, error)
	ListTokenKeys(ctx context.Context, appID string) ([]store.TokenKey, error)
}

// Export writes the app appID of st to w in the export format.
func Export(ctx context.Context, st ExportStore, appID string, w io.Writer) error {
	app, err := st.GetApp(ctx, appID)
	if err != nil {
		return fmt.Errorf("export app %q: %w", appID, err)
	}
	e := &exporter{w: bufio.NewWriterSize(w, 64<<10)}
	e.write(header{Format: Format, Version: Version, App: fromApp(app)})

	keys, err := st.ListAPIKeys(ctx, appID)
	if err != nil {
		return fmt.Errorf("export API keys: %w", err)
	}
	for _, k := range keys {
		rec, err := fromAPIKey(k)
		if err != nil {
			return fmt.Errorf("export API keys: %w", err)
		}
		e.write(rec)
		e.n.APIKeys++
	}

	tokenKeys, err := st.ListTokenKeys(ctx, appID)
	if err != nil {
		return fmt.Errorf("export token keys: %w", err)
	}
	for _, k := range tokenKeys {
		e.write(fromTokenKey(k))
		e.n.TokenKeys++
	}

	configs, err := st.ListAuthConfigs(ctx, appID)
	if err != nil {
		return fmt.Errorf("export auth configs: %w", err)
	}
	for _, c := range configs {
		e.write(fromAuthConfig(c))
		e.n.AuthConfigs++
	}

	for _, allowed := range []bool{true, false} {
		list, err := st.ListAuthenticators(ctx, appID, allowed)
		if err != nil {
			return fmt.Errorf("export authenticators: %w", err)
		}
		for _, a := range list {
			e.write(fromAuthenticator(a))
			e.n.Authenticators++
		}
	}

	var after []byte
	for {
		page, err := st.ListCredentialsPage(ctx, appID, after, pageSize)
		if err != nil {
			return fmt.Errorf("export credentials: %w", err)
		}
		for _, c := range page {
			e.write(fromCredential(c))
			e.n.Credentials++
		}
		if e.err != nil || len(page) < pageSize {
			break
		}
		// Never nil: nil would start over.
		after = append([]byte{}, page[len(page)-1].ID...)
	}

	afterHash := ""
	for {
		page, err := st.ListAliasesPage(ctx, appID, afterHash, pageSize)
		if err != nil {
			return fmt.Errorf("export aliases: %w", err)
		}
		for _, a := range page {
			e.write(fromAlias(a))
			e.n.Aliases++
		}
		if e.err != nil || len(page) < pageSize {
			break
		}
		afterHash = page[len(page)-1].Hash
	}

	e.write(endRecord{Kind: kindEnd, counts: e.n})
	if e.err != nil {
		return fmt.Errorf("export app %q: %w", appID, e.err)
	}
	if err := e.w.Flush(); err != nil {
		return fmt.Errorf("export app %q: %w", appID, err)
	}
	return nil
}

// exporter writes lines and keeps the first error, so the export loop can
// check once per page.
type exporter struct {
	w   *bufio.Writer
	n   counts
	err error
}

func (e *exporter) write(v any) {
	if e.err != nil {
		return
	}
	b, err := marshalLine(v)
	if err != nil {
		e.err = err
		return
	}
	_, e.err = e.w.Write(b)
}
