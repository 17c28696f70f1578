// Package singleuse records identifiers that may be used only once (an
// invitation, a link), across every instance sharing the database.
package singleuse

import (
	"context"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// ErrUsed means the identifier was used before (it is
// store.ErrAlreadyUsed).
var ErrUsed = store.ErrAlreadyUsed

// Store is the part of store.Store the service uses.
type Store interface {
	ConsumeOnce(ctx context.Context, appID, id string, expiresAt time.Time) error
}

// Service records single uses.
type Service struct{ store Store }

// New returns a Service.
func New(st Store) *Service { return &Service{store: st} }

// Use records that the identifier id of app appID is used: the first call
// succeeds, every later one returns ErrUsed. The record may be forgotten
// after expiresAt, when the identifier is no longer valid anyway.
func (s *Service) Use(ctx context.Context, appID, id string, expiresAt time.Time) error {
	return s.store.ConsumeOnce(ctx, appID, id, expiresAt)
}
