package metrics

import (
	"context"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

func (s *timedStore) ListUsersPage(ctx context.Context, appID string, p store.UserPage) ([]store.UserSummary, error) {
	defer s.observe("ListUsersPage", time.Now())
	return s.Store.ListUsersPage(ctx, appID, p)
}

func (s *timedStore) AddConsoleSession(ctx context.Context, cs store.ConsoleSession) error {
	defer s.observe("AddConsoleSession", time.Now())
	return s.Store.AddConsoleSession(ctx, cs)
}

func (s *timedStore) GetConsoleSession(ctx context.Context, id string) (store.ConsoleSession, error) {
	defer s.observe("GetConsoleSession", time.Now())
	return s.Store.GetConsoleSession(ctx, id)
}

func (s *timedStore) TouchConsoleSession(ctx context.Context, id string, seen, expiresAt time.Time) error {
	defer s.observe("TouchConsoleSession", time.Now())
	return s.Store.TouchConsoleSession(ctx, id, seen, expiresAt)
}

func (s *timedStore) ListConsoleSessions(ctx context.Context, userID string) ([]store.ConsoleSession, error) {
	defer s.observe("ListConsoleSessions", time.Now())
	return s.Store.ListConsoleSessions(ctx, userID)
}

func (s *timedStore) DeleteConsoleSession(ctx context.Context, userID, id string) error {
	defer s.observe("DeleteConsoleSession", time.Now())
	return s.Store.DeleteConsoleSession(ctx, userID, id)
}

func (s *timedStore) DeleteConsoleSessions(ctx context.Context, userID string) error {
	defer s.observe("DeleteConsoleSessions", time.Now())
	return s.Store.DeleteConsoleSessions(ctx, userID)
}

func (s *timedStore) PurgeConsoleSessionsBefore(ctx context.Context, t time.Time) error {
	defer s.observe("PurgeConsoleSessionsBefore", time.Now())
	return s.Store.PurgeConsoleSessionsBefore(ctx, t)
}
