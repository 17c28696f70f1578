package events

import (
	"context"
	"fmt"
	"log/slog"
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

// Store is the part of store.Store the event log uses.
type Store interface {
	AddEvents(ctx context.Context, events []store.Event) error
	ListEvents(ctx context.Context, appID string, offset, limit int) ([]store.Event, int64, error)
	DeleteEventsBefore(ctx context.Context, appID string, t time.Time) error
	GetApp(ctx context.Context, appID string) (store.App, error)
	ListAppIDs(ctx context.Context) ([]string, error)
}

// Service reads, stores and expires the event log.
type Service struct {
	store Store
	log   *slog.Logger
}

// New returns a Service; log receives the failures of Keep (nil:
// slog.Default()).
func New(st Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: st, log: log}
}

// Page is the body of GET /events.
type Page struct {
	TenantID        string `json:"tenantId"`
	Events          []View `json:"events"`
	TotalEventCount int64  `json:"totalEventCount"`
}

// List implements GET /events?pageNumber=&numberOfResults=. Apps without
// event logging get a 403 problem (the original crashed with a 500).
func (s *Service) List(ctx context.Context, app store.App, pageNumber, pageSize int) (Page, error) {
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
	rows, total, err := s.store.ListEvents(ctx, app.ID, pageOffset(pageNumber, pageSize), pageSize)
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

// keepTimeout bounds storing the events of a finished request.
const keepTimeout = 5 * time.Second

// Keep stores the events buffered in b for a request that has ended, if
// the app logs events; failed requests are included, as in the original
// server. It runs apart from the request's cancellation (the client may
// be gone), within keepTimeout. known is the app the request acted for
// when the caller has it at hand (zero: it is read from the store). A
// failure is logged: the request's answer stands.
func (s *Service) Keep(ctx context.Context, b *Buffer, known store.App) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keepTimeout)
	defer cancel()
	lookup := func(ctx context.Context, appID string) (store.App, error) {
		if known.ID != "" && known.ID == appID {
			return known, nil
		}
		return s.store.GetApp(ctx, appID)
	}
	if err := s.flush(ctx, b, lookup); err != nil {
		s.log.Error("store events", "err", err)
	}
}

// flush stores the buffered events if the app has event logging enabled;
// lookupApp finds the app by id.
func (s *Service) flush(ctx context.Context, b *Buffer, lookupApp func(ctx context.Context, appID string) (store.App, error)) error {
	appID, rows := b.Take()
	if len(rows) == 0 {
		return nil
	}
	app, err := lookupApp(ctx, appID)
	if err != nil || !app.Features.EventLoggingEnabled {
		// Unknown app or logging off: events are dropped, as designed.
		return nil
	}
	return s.store.AddEvents(ctx, rows)
}

// PurgeExpired deletes events older than each app's retention period.
func (s *Service) PurgeExpired(ctx context.Context, now time.Time) error {
	ids, err := s.store.ListAppIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		app, err := s.store.GetApp(ctx, id)
		if err != nil {
			continue // deleted meanwhile
		}
		cutoff := now.AddDate(0, 0, -app.Features.EventLoggingRetentionDays)
		if err := s.store.DeleteEventsBefore(ctx, id, cutoff); err != nil {
			return err
		}
	}
	return nil
}
