package events

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// Paging limits of GET /events.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// View is one event on the wire: type and severity by name.
type View struct {
	PerformedAt string `json:"performedAt"`
	Message     string `json:"message"`
	PerformedBy string `json:"performedBy"`
	TenantID    string `json:"tenantId"`
	EventType   string `json:"eventType"`
	Severity    string `json:"severity"`
	Subject     string `json:"subject"`
	APIKeyID    string `json:"apiKeyId"`
}

// Page is the body of GET /events.
type Page struct {
	TenantID        string `json:"tenantId"`
	Events          []View `json:"events"`
	TotalEventCount int64  `json:"totalEventCount"`
}

// List implements GET /events?pageNumber=&numberOfResults=. Apps without
// event logging get a 403 problem (the original crashed with a 500).
func List(ctx context.Context, st store.Store, app store.App, pageNumber, pageSize int) (Page, error) {
	if !app.Features.EventLoggingEnabled {
		return Page{}, &problem.Problem{
			Status: http.StatusForbidden,
			Type:   problem.DocsBase + "forbidden",
			Title:  "Event logging is not enabled for this application.",
			Detail: "Enable event logging in the application's features to read its events.",
			NoCode: true,
		}
	}
	errs := map[string][]string{}
	if pageNumber < 1 {
		errs["pageNumber"] = []string{"The field PageNumber must be at least 1."}
	}
	if pageSize < 1 || pageSize > MaxPageSize {
		errs["numberOfResults"] = []string{"The field NumberOfResults must be between 1 and 1000."}
	}
	if len(errs) > 0 {
		return Page{}, problem.Validation(errs)
	}
	rows, total, err := st.ListEvents(ctx, app.ID, pageOffset(pageNumber, pageSize), pageSize)
	if err != nil {
		return Page{}, problem.Internal(fmt.Errorf("list events: %w", err))
	}
	page := Page{TenantID: app.ID, Events: make([]View, 0, len(rows)), TotalEventCount: total}
	for _, e := range rows {
		page.Events = append(page.Events, View{
			PerformedAt: wire.FormatStored(e.PerformedAt),
			Message:     e.Message,
			PerformedBy: e.PerformedBy,
			TenantID:    e.AppID,
			EventType:   Type(e.Type).String(),
			Severity:    Severity(e.Severity).String(),
			Subject:     e.Subject,
			APIKeyID:    e.APIKeyID,
		})
	}
	return page, nil
}

// pageOffset is the number of events before the page. A product too large
// for an int saturates: no app has that many events, so the page is
// empty instead of wrapping around to an earlier page.
func pageOffset(pageNumber, pageSize int) int {
	if pageNumber-1 > math.MaxInt/pageSize {
		return math.MaxInt
	}
	return (pageNumber - 1) * pageSize
}

// Flush stores the buffered events of a finished request if the app has
// event logging enabled; lookupApp finds the app by id.
func Flush(ctx context.Context, st store.Store, b *Buffer, lookupApp func(ctx context.Context, appID string) (store.App, error)) error {
	appID, rows := b.Take()
	if len(rows) == 0 {
		return nil
	}
	app, err := lookupApp(ctx, appID)
	if err != nil || !app.Features.EventLoggingEnabled {
		// Unknown app or logging off: events are dropped, as designed.
		return nil
	}
	return st.AddEvents(ctx, rows)
}

// PurgeExpired deletes events older than each app's retention period.
func PurgeExpired(ctx context.Context, st store.Store, now time.Time) error {
	ids, err := st.ListAppIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		app, err := st.GetApp(ctx, id)
		if err != nil {
			continue // deleted meanwhile
		}
		cutoff := now.AddDate(0, 0, -app.Features.EventLoggingRetentionDays)
		if err := st.DeleteEventsBefore(ctx, id, cutoff); err != nil {
			return err
		}
	}
	return nil
}
