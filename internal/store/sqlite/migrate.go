package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations are numbered files "NNNN_description.sql"; each runs once, in
// numeric order, inside its own transaction together with the row that
// records it in schema_migrations.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func migrate(ctx context.Context, db *sql.DB) error {
	const ddl = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	list, err := loadMigrations()
	if err != nil {
		return err
	}
	for _, m := range list {
		if err := applyMigration(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration checks and applies m in one IMMEDIATE transaction, so two
// processes opening the same file at once cannot both apply it.
func applyMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migration %s: begin: %w", m.name, err)
	}
	defer tx.Rollback() // no-op after Commit

	var n int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n)
	if err != nil {
		return fmt.Errorf("sqlite: migration %s: check: %w", m.name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, encTime(time.Now()))
	if err != nil {
		return fmt.Errorf("sqlite: migration %s: record: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migration %s: commit: %w", m.name, err)
	}
	return nil
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("sqlite: list migrations: %w", err)
	}
	list := make([]migration, 0, len(names))
	seen := map[int]string{}
	for _, name := range names {
		m, err := readMigration(name)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[m.version]; dup {
			return nil, fmt.Errorf("sqlite: migrations %s and %s share version %d", prev, m.name, m.version)
		}
		seen[m.version] = m.name
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	return list, nil
}

func readMigration(path string) (migration, error) {
	name := strings.TrimPrefix(path, "migrations/")
	prefix, _, ok := strings.Cut(name, "_")
	version, err := strconv.Atoi(prefix)
	if !ok || err != nil || version <= 0 {
		return migration{}, fmt.Errorf("sqlite: migration %s: name must start with a positive number and '_'", name)
	}
	body, err := migrationFiles.ReadFile(path)
	if err != nil {
		return migration{}, fmt.Errorf("sqlite: read migration %s: %w", name, err)
	}
	return migration{version: version, name: name, sql: string(body)}, nil
}
