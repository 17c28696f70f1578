package apps

import (
	"context"
	"fmt"
	"strings"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// SelfFeaturesRequest is the body of POST /apps/features, the toggles an
// app's backend may change itself. Only members present change.
type SelfFeaturesRequest struct {
	PerformedBy                                 *wire.String `json:"performedBy"`
	EventLoggingRetentionPeriod                 *wire.Int    `json:"eventLoggingRetentionPeriod"`
	EnableManuallyGeneratedAuthenticationTokens *bool        `json:"enableManuallyGeneratedAuthenticationTokens"`
	EnableMagicLinks                            *bool        `json:"enableMagicLinks"`
}

// SetSelfFeatures implements POST /apps/features.
func (s *Service) SetSelfFeatures(ctx context.Context, app store.App, req SelfFeaturesRequest) error {
	defer s.changed(app.ID)
	if err := validateSettings(req.EventLoggingRetentionPeriod, nil, nil); err != nil {
		return err
	}
	by := "Api"
	if req.PerformedBy != nil {
		by = strings.TrimSpace(string(*req.PerformedBy))
		if by == "" {
			by = events.UnknownUser
		}
	}
	// Only the members the request names are written, so a change made
	// meanwhile elsewhere (app may be a cached copy up to AuthCacheTTL old)
	// is kept.
	var u store.FeaturesUpdate
	if r := req.EventLoggingRetentionPeriod; r != nil {
		u.EventLoggingRetentionDays = store.To(int(*r))
	}
	toggle(ctx, &u.GenerateSignInTokenEnabled, req.EnableManuallyGeneratedAuthenticationTokens, by,
		events.GenerateSignInTokenEnabled, events.GenerateSignInTokenDisabled, "the generate sign-in token endpoint")
	toggle(ctx, &u.MagicLinksEnabled, req.EnableMagicLinks, by, events.MagicLinksEnabled, events.MagicLinksDisabled, "magic links")
	return s.updateFeatures(ctx, app.ID, u)
}

// toggle applies an optional boolean and records the matching event.
func toggle(ctx context.Context, flag *store.Opt[bool], want *bool, by string, on, off events.Type, what string) {
	if want == nil {
		return
	}
	*flag = store.To(*want)
	e := events.Event{Type: off, Severity: events.Alert, PerformedBy: by, Message: fmt.Sprintf("%s disabled %s", by, what)}
	if *want {
		e = events.Event{Type: on, Severity: events.Alert, PerformedBy: by, Message: fmt.Sprintf("%s enabled %s", by, what)}
	}
	events.Record(ctx, e)
}
