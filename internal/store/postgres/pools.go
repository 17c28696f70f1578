package postgres

import "github.com/passwordless-oss/server/internal/store"

var _ store.PoolReporter = (*Store)(nil)

// PoolStats describes the pgx connection pool. A connection still being
// set up counts as in use: it is taken from the pool's capacity.
func (s *Store) PoolStats() []store.PoolStats {
	st := s.pool.pool.Stat()
	return []store.PoolStats{{
		Pool:         "postgres",
		MaxOpen:      int(st.MaxConns()),
		InUse:        int(st.AcquiredConns() + st.ConstructingConns()),
		Idle:         int(st.IdleConns()),
		Waits:        st.EmptyAcquireCount(),
		WaitDuration: st.EmptyAcquireWaitTime(),
	}}
}
