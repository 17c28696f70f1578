package sqlite

import (
	"database/sql"

	"github.com/passwordless-oss/server/internal/store"
)

var _ store.PoolReporter = (*Store)(nil)

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
