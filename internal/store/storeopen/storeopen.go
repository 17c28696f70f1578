// Package storeopen opens the store a database setting names: PostgreSQL
// for a postgres:// URL or a libpq keyword string, else a SQLite file.
// Both backends apply their schema migrations when opened.
package storeopen

import (
	"context"
	"fmt"

	"github.com/passwordless-oss/server/internal/config"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/postgres"
	"github.com/passwordless-oss/server/internal/store/sqlite"
)

// Open opens the store database names, by the server's rule
// (config.IsPostgresDSN); sqliteOpts apply when it is a SQLite file.
func Open(ctx context.Context, database string, sqliteOpts sqlite.Options) (store.Store, error) {
	if config.IsPostgresDSN(database) {
		st, err := postgres.Open(ctx, database)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.OpenOptions(ctx, database, sqliteOpts)
	if err != nil {
		return nil, fmt.Errorf("open SQLite store %s: %w", database, err)
	}
	return st, nil
}
