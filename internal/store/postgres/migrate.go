package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passwordless-oss/server/internal/store/schema"
)

// Migrations are numbered files "NNNN_description.sql"; each runs once, in
// numeric order. They are applied together in one transaction that first
// takes a transaction-level advisory lock, so several instances starting
// at once wait for each other and the first one applies every pending
// migration while the others find them recorded in schema_migrations.
// PostgreSQL DDL is transactional: a failing migration leaves nothing
// behind.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock key that serialises migration runs on
// one database (advisory locks are scoped to the current database).
const migrationLock int64 = 0x70776c5f6d696772 // "pwl_migr"

type migration = schema.Migration

// Migrate connects to the database at url, applies the pending migrations
// and disconnects. It is safe to run from several processes at once.
func Migrate(ctx context.Context, url string) error {
	// Parsed as a pool configuration so that a URL carrying pool_*
	// parameters, as given to Open, is accepted here too.
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("postgres: parse connection string: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = migrate(ctx, conn)
	return err
}

// migrate applies the pending migrations and returns the versions it
// applied (none if the schema was up to date).
func migrate(ctx context.Context, conn *pgx.Conn) ([]int, error) {
	list, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	var applied []int
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("postgres: migrate: lock: %w", err)
		}
		// Created under the lock: two concurrent CREATE TABLE IF NOT EXISTS
		// can otherwise both fail on the catalog's unique index.
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     NOT NULL PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`)
		if err != nil {
			return fmt.Errorf("postgres: migrate: create schema_migrations: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return fmt.Errorf("postgres: migrate: read schema_migrations: %w", err)
		}
		done, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return fmt.Errorf("postgres: migrate: read schema_migrations: %w", err)
		}
		isDone := make(map[int]bool, len(done))
		for _, v := range done {
			isDone[int(v)] = true
		}
		for _, m := range list {
			if isDone[m.Version] {
				continue
			}
			// Without arguments pgx sends the file through the simple
			// protocol, which accepts several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`,
				m.Version, m.Name)
			if err != nil {
				return fmt.Errorf("postgres: migration %s: record: %w", m.Name, err)
			}
			applied = append(applied, m.Version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

func loadMigrations() ([]migration, error) {
	list, err := schema.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return list, nil
}
