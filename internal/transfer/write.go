package transfer

import (
	"context"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// AuthConfigWriter is the part of store.Store PutAuthConfig uses.
type AuthConfigWriter interface {
	PutAuthConfig(ctx context.Context, c store.AuthConfig) error
	TouchAuthConfig(ctx context.Context, appID, purpose string, at time.Time, ifMissing store.AuthConfig) error
}

// PutAuthConfig stores an authentication configuration copied from
// elsewhere, with its LastUsedOn. PutAuthConfig of the store writes
// LastUsedOn only when it inserts; Touch sets it again in case the purpose
// existed, so the result does not depend on what the target held.
func PutAuthConfig(ctx context.Context, st AuthConfigWriter, c store.AuthConfig) error {
	if err := st.PutAuthConfig(ctx, c); err != nil {
		return err
	}
	if c.LastUsedOn != nil {
		return st.TouchAuthConfig(ctx, c.AppID, c.Purpose, *c.LastUsedOn, c)
	}
	return nil
}
