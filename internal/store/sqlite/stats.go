package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Planner statistics.
//
// Without sqlite_stat1 SQLite guesses the selectivity of each index, and for
// WHERE app_id = ? AND user_id = ? on credentials it guesses wrong: it walks
// every credential of the app through the primary key instead of using the
// (app_id, user_id) index, so the cost of a sign-in grows with the size of
// the app. ANALYZE records the real shape of the indexes; PRAGMA optimize
// picks the tables that were never analyzed or whose row count has changed
// a lot since.
//
// The write connection sets analysis_limit (see openWritePool), so ANALYZE
// samples about that many rows per index instead of reading whole tables:
// it takes milliseconds even on a file of millions of credentials, and the
// estimates are still good enough to choose between indexes.
//
// SQLite loads the statistics when a connection reads the schema, and
// ANALYZE does not change the schema cookie, so the other connections
// (the read pool, other processes) would go on planning with what they
// loaded before. After analyzing, refreshStats therefore also creates and
// drops a scratch table: that changes the schema cookie, every connection
// reloads the schema and the statistics with it, and prepared statements
// are compiled again with the new plans.
//
// The statistics are refreshed when the Store opens (after migrations),
// after bulk imports, by PurgeConsumedBefore (run hourly by the background
// jobs), on Close, and by the committer after every statsEvery writes. The
// last one matters for a new database: ANALYZE of empty tables records
// nothing, and until the tables are analyzed with rows in them every
// ListCredentials walks all credentials of the app. When nothing needs
// analyzing the check costs some tens of microseconds; ANALYZE itself runs
// about once per 25-fold growth of a table.

// analysisLimit is the PRAGMA analysis_limit of the write connection.
const analysisLimit = 1000

// statsEvery is the number of committed writes between two refreshes run
// by the committer.
const statsEvery = 1000

// optimizePlanQuery lists the ANALYZE statements PRAGMA optimize would run
// without running them (0x01), for every table (0x10000), not only those
// this connection has queried, with ANALYZE enabled (0x02).
const optimizePlanQuery = `PRAGMA optimize=0x10003`

// initStats runs ANALYZE on a database that has never been analyzed, and
// refreshes the statistics of any other. db is the write pool, before the
// committer starts and before the read pool opens.
func initStats(ctx context.Context, db *sql.DB) error {
	var analyzed bool
	err := db.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1')`).Scan(&analyzed)
	if err != nil {
		return fmt.Errorf("sqlite: statistics: %w", err)
	}
	if !analyzed {
		if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
			return fmt.Errorf("sqlite: analyze: %w", err)
		}
		return nil
	}
	return refreshStatsDB(ctx, db)
}

// refreshStatsDB runs refreshStats in a transaction of its own on db, the
// write pool while the committer is not running.
func refreshStatsDB(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: optimize: begin: %w", err)
	}
	defer tx.Rollback() // no-op after Commit
	if err := refreshStats(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: optimize: commit: %w", err)
	}
	return nil
}

// refreshStats analyzes the tables PRAGMA optimize selects, in tx, and if
// there were any makes every connection reload the statistics.
func refreshStats(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, optimizePlanQuery)
	if err != nil {
		return fmt.Errorf("sqlite: optimize: %w", err)
	}
	var stmts []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: optimize: %w", err)
		}
		// Only ANALYZE is asked for; run nothing else a later SQLite
		// might list.
		if strings.HasPrefix(s, "ANALYZE ") {
			stmts = append(stmts, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: optimize: %w", err)
	}
	if len(stmts) == 0 {
		return nil
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("sqlite: optimize: %s: %w", s, err)
		}
	}
	for _, s := range []string{`CREATE TABLE stats_reload (x INTEGER)`, `DROP TABLE stats_reload`} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("sqlite: optimize: reload statistics: %w", err)
		}
	}
	return nil
}

// refreshStatsJob refreshes the statistics in a job of the committer.
func (s *Store) refreshStatsJob(ctx context.Context) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return refreshStats(ctx, tx)
	})
}
