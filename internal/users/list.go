package users

import (
	"context"
	"fmt"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// UserView is one entry of GET /users/list.
type UserView struct {
	UserID           string    `json:"userId"`
	AliasCount       int       `json:"aliasCount"`
	Aliases          []*string `json:"aliases"`
	CredentialsCount int       `json:"credentialsCount"`
	LastUsedAt       *string   `json:"lastUsedAt"`
}

// ListUsers implements GET /users/list: users with credentials or
// aliases, with the plaintext of each alias (null for hashed ones).
func (s *Service) ListUsers(ctx context.Context, app store.App) (ListResponse[UserView], error) {
	rows, err := s.store.ListUsers(ctx, app.ID, maxListedUsers)
	if err != nil {
		return ListResponse[UserView]{}, internal("list users", err)
	}
	out := make([]UserView, 0, len(rows))
	for _, u := range rows {
		v := UserView{UserID: u.UserID, AliasCount: len(u.AliasPlaintexts), Aliases: []*string{}, CredentialsCount: u.CredentialsCount}
		for _, p := range u.AliasPlaintexts {
			if p == "" {
				v.Aliases = append(v.Aliases, nil)
			} else {
				v.Aliases = append(v.Aliases, &p)
			}
		}
		if u.LastUsedAt != nil {
			t := wire.FormatStored(*u.LastUsedAt)
			v.LastUsedAt = &t
		}
		out = append(out, v)
	}
	return ListResponse[UserView]{Values: out}, nil
}

// CountUsers implements GET /users/count: users owning credentials.
func (s *Service) CountUsers(ctx context.Context, app store.App) (map[string]int64, error) {
	n, err := s.store.CountUsers(ctx, app.ID)
	if err != nil {
		return nil, internal("count users", err)
	}
	return map[string]int64{"count": n}, nil
}

// DeleteUser implements POST /users/delete: the user's credentials and
// aliases go, atomically.
func (s *Service) DeleteUser(ctx context.Context, app store.App, req UserIDRequest) error {
	if req.UserID == "" {
		return problem.Field("userId", "The UserId field is required.")
	}
	userID := string(req.UserID)
	if err := s.store.DeleteUser(ctx, app.ID, userID); err != nil {
		return internal("delete user", err)
	}
	events.Record(ctx, events.Event{Type: events.UserDeleted, PerformedBy: "System", Subject: userID,
		Message: fmt.Sprintf("Deleted user %s", userID)})
	return nil
}
