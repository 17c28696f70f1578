package apps

import (
	"context"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// DeletionResult is the body of mark-delete and DELETE /admin/apps/{appId}.
type DeletionResult struct {
	Message     string   `json:"message"`
	IsDeleted   bool     `json:"isDeleted"`
	DeleteAt    string   `json:"deleteAt"`
	AdminEmails []string `json:"adminEmails"`
}

// MarkDeleteRequest is the body of POST /admin/apps/{appId}/mark-delete.
type MarkDeleteRequest struct {
	DeletedBy wire.String `json:"deletedBy"`
}

// CanDeleteImmediately implements GET /admin/apps/{appId}/can-delete-immediately:
// an app younger than three days, or one without credentials, may go at
// once.
func (s *Service) CanDeleteImmediately(ctx context.Context, appID string) (bool, error) {
	app, err := s.getApp(ctx, appID)
	if err != nil {
		return false, err
	}
	return s.canDeleteNow(ctx, app)
}

func (s *Service) canDeleteNow(ctx context.Context, app store.App) (bool, error) {
	if s.now().Sub(app.CreatedAt) < immediateDeletionAge {
		return true, nil
	}
	users, err := s.store.CountUsers(ctx, app.ID)
	if err != nil {
		return false, problem.Internal(fmt.Errorf("count users: %w", err))
	}
	return users == 0, nil
}

// MarkDelete implements POST /admin/apps/{appId}/mark-delete: delete now if
// allowed, else lock every key and schedule deletion a month out.
func (s *Service) MarkDelete(ctx context.Context, appID string, req MarkDeleteRequest) (DeletionResult, error) {
	defer s.changed(appID)
	app, err := s.getApp(ctx, appID)
	if err != nil {
		return DeletionResult{}, err
	}
	if app.DeleteAt != nil {
		return DeletionResult{}, problem.BadRequest("app_pending_deletion", "App is already pending to be deleted.")
	}
	now := s.now().UTC()
	admins := adminEmails(app)
	events.Record(ctx, events.Event{Type: events.AppMarkedForDeletion, PerformedBy: string(req.DeletedBy), Message: "The application was marked for deletion"})
	immediate, err := s.canDeleteNow(ctx, app)
	if err != nil {
		return DeletionResult{}, err
	}
	if immediate {
		if err := s.deleteApp(ctx, appID); err != nil {
			return DeletionResult{}, err
		}
		return DeletionResult{Message: fmt.Sprintf("The app '%s' was deleted.", appID), IsDeleted: true, DeleteAt: wire.FormatZ(now), AdminEmails: admins}, nil
	}
	at := now.AddDate(0, 1, 0)
	if err := s.store.SetAllAPIKeysLocked(ctx, appID, true, now); err != nil {
		return DeletionResult{}, problem.Internal(err)
	}
	if err := s.store.SetDeleteAt(ctx, appID, &at); err != nil {
		return DeletionResult{}, problem.Internal(err)
	}
	return DeletionResult{
		Message:     fmt.Sprintf("The app '%s' will be deleted at '%s'.", appID, at.Format(time.DateTime)),
		DeleteAt:    wire.FormatZ(at),
		AdminEmails: admins,
	}, nil
}

func adminEmails(app store.App) []string {
	if app.AdminEmail == "" {
		return []string{}
	}
	return []string{app.AdminEmail}
}

// CancelDelete implements POST /admin/apps/{appId}/cancel-delete.
func (s *Service) CancelDelete(ctx context.Context, appID string) (map[string]string, error) {
	if _, err := s.getApp(ctx, appID); err != nil {
		return nil, err
	}
	if err := s.Unfreeze(ctx, appID); err != nil {
		return nil, err
	}
	events.Record(ctx, events.Event{Type: events.AppDeletionCancelled, PerformedBy: "System", Message: "The scheduled deletion was cancelled"})
	return map[string]string{"message": "Your account will not be deleted since the process was aborted with the cancellation link"}, nil
}

// Delete implements DELETE /admin/apps/{appId}: only an app whose
// scheduled deletion time has come can be deleted.
func (s *Service) Delete(ctx context.Context, appID string) (DeletionResult, error) {
	app, err := s.getApp(ctx, appID)
	if err != nil {
		return DeletionResult{}, err
	}
	now := s.now().UTC()
	if app.DeleteAt == nil {
		return DeletionResult{}, problem.BadRequest("app_not_pending_deletion", "App was not scheduled for deletion.")
	}
	if app.DeleteAt.After(now) {
		return DeletionResult{}, problem.BadRequest("app_not_pending_deletion", "App cannot be deleted yet.")
	}
	if err := s.deleteApp(ctx, appID); err != nil {
		return DeletionResult{}, err
	}
	return DeletionResult{Message: fmt.Sprintf("The app '%s' was deleted.", appID), IsDeleted: true, DeleteAt: wire.FormatZ(*app.DeleteAt), AdminEmails: adminEmails(app)}, nil
}

func (s *Service) deleteApp(ctx context.Context, appID string) error {
	defer s.changed(appID)
	if err := s.store.DeleteApp(ctx, appID); err != nil {
		return problem.Internal(fmt.Errorf("delete app: %w", err))
	}
	s.tokens.Forget(appID)
	return nil
}

// ListPendingDeletion implements GET /apps/list-pending-deletion.
func (s *Service) ListPendingDeletion(ctx context.Context) ([]string, error) {
	ids, err := s.store.ListAppsDueForDeletion(ctx, s.now().UTC())
	if err != nil {
		return nil, problem.Internal(err)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// Dev keys of the original server's Development mode, so SDK samples and
// test setups written for it work unchanged against --dev.
const (
	DevAppID     = "test"
	DevPublicKey = "test:public:2e728aa5986f4ba8b073a5b28a939795"
	DevSecret    = "test:secret:a679563b331846c79c20b114a4f56d02"
)

// SeedDevApp creates the development app "test" with the well-known keys
// unless it exists. It reports whether it created it.
func (s *Service) SeedDevApp(ctx context.Context) (bool, error) {
	if _, err := s.store.GetApp(ctx, DevAppID); err == nil {
		return false, nil
	}
	now := s.now().UTC()
	app := store.App{ID: DevAppID, AdminEmail: "admin@example.com", CreatedAt: now, Features: store.Features{
		EventLoggingRetentionDays:  365,
		MagicLinkMonthlyQuota:      2000,
		GenerateSignInTokenEnabled: true,
		MagicLinksEnabled:          true,
	}}
	keys := []store.APIKey{
		newKey(DevAppID, store.KeyPublic, DevPublicKey, scopeNumbers[store.KeyPublic], now),
		newKey(DevAppID, store.KeySecret, DevSecret, scopeNumbers[store.KeySecret], now),
	}
	if err := s.store.CreateApp(ctx, app, keys); err != nil {
		return false, fmt.Errorf("seed dev app: %w", err)
	}
	return true, nil
}
