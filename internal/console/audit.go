package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/store"
)

// Console actions are written to the event log like the API's, performed
// by the administrator (see withEvents): changes to an app in the app's
// log, changes to the administrators in the log of the console's own app,
// which the Administrators page shows.

// recordFeatureChanges records what an administrator's save of the
// features page changed, if anything.
func recordFeatureChanges(ctx context.Context, s session, before, after store.Features) {
	changes := apps.FeatureChanges(before, after)
	if len(changes) == 0 {
		return
	}
	events.Record(ctx, events.Event{Type: events.AdminFeaturesChanged,
		Message: fmt.Sprintf("%s changed the features: %s", s.Name, strings.Join(changes, "; "))})
}

// recordEnrolment records a new administrator's accepted invitation.
func recordEnrolment(ctx context.Context, p pending, invitedBy string) {
	msg := fmt.Sprintf("%s enrolled with the server's setup link", p.Name)
	if invitedBy != "" {
		msg = fmt.Sprintf("%s accepted an invitation from %s", p.Name, invitedBy)
	}
	events.Record(ctx, events.Event{Type: events.AdminAcceptedInvite, PerformedBy: p.Name, Subject: p.UserID, Message: msg})
}

// recordAdminEvent stores one event in the console app's log.
func (c *Console) recordAdminEvent(r *http.Request, e events.Event) {
	_ = c.withEvents(r, ConsoleAppID, func(ctx context.Context) error {
		events.Record(ctx, e)
		return nil
	})
}

// adminEventsShown is how many of the console app's newest events the
// Administrators page shows.
const adminEventsShown = 20

// adminEvents returns the newest events of the console app: enrolments,
// invitations, removals and the administrators' sign-ins.
func (c *Console) adminEvents(ctx context.Context) ([]eventRow, error) {
	app, err := c.consoleApp(ctx)
	if err != nil {
		return nil, err
	}
	if !app.Features.EventLoggingEnabled {
		return nil, nil
	}
	res, err := c.cfg.Events.List(ctx, app, 1, adminEventsShown)
	if err != nil {
		return nil, err
	}
	return c.eventRows(res.Events), nil
}
