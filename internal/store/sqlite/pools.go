package sqlite

import (
	"database/sql"

	"github.com/passwordless-oss/server/internal/store"
)

var (
	_ store.PoolReporter  = (*Store)(nil)
	_ store.StatsReporter = (*Store)(nil)
)

// PoolStats describes the write connection and the read pool.
func (s *Store) PoolStats() []store.PoolStats {
	return []store.PoolStats{poolStats("write", s.write), poolStats("read", s.read)}
}

func poolStats(name string, db *sql.DB) store.PoolStats {
	st := db.Stats()
	return store.PoolStats{
		Pool: name, MaxOpen: st.MaxOpenConnections, InUse: st.InUse, Idle: st.Idle,
		Waits: st.WaitCount, WaitDuration: st.WaitDuration,
	}
}

// Stats reports the write-ahead log, the database file and the
// checkpoints that keep the log bounded (see checkpoint.go).
func (s *Store) Stats() []store.Stat {
	w := s.WALStats()
	full := 0.0
	if s.Degraded() != nil {
		full = 1
	}
	return []store.Stat{
		{Name: "sqlite_wal_bytes", Help: "Size of the SQLite write-ahead log file.", Value: float64(w.WALBytes)},
		{Name: "sqlite_wal_max_bytes", Help: "The configured bound of the write-ahead log file.", Value: float64(w.MaxWALBytes)},
		{Name: "sqlite_database_bytes", Help: "Size of the SQLite database file.", Value: float64(w.DatabaseBytes)},
		{Name: "sqlite_checkpoints_total", Help: "Background checkpoints run.", Counter: true, Value: float64(w.Checkpoints)},
		{Name: "sqlite_checkpoint_frames_copied_total", Help: "Log frames background checkpoints copied into the database file.", Counter: true, Value: float64(w.FramesCopied)},
		{Name: "sqlite_checkpoints_busy_total", Help: "Background checkpoints that left frames behind because readers still used them.", Counter: true, Value: float64(w.Busy)},
		{Name: "sqlite_wal_restarts_total", Help: "Times the write-ahead log was started over.", Counter: true, Value: float64(w.Restarts)},
		{Name: "sqlite_wal_restarts_deferred_total", Help: "Restarts of the log deferred because readers held old frames.", Counter: true, Value: float64(w.RestartBusy)},
		{Name: "sqlite_checkpoint_failures_total", Help: "Checkpoints that failed with an error.", Counter: true, Value: float64(w.Failures)},
		{Name: "sqlite_writes_held_seconds_total", Help: "Time writes waited while the log was started over.", Counter: true, Value: w.HeldWrites.Seconds()},
		{Name: "sqlite_writes_held_max_seconds", Help: "The longest single wait of writes while the log was started over.", Value: w.MaxHeldWrite.Seconds()},
		{Name: "sqlite_full", Help: "1 while writes are refused because the database cannot grow.", Value: full},
	}
}
