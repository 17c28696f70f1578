package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

type authConfigsView struct {
	Configs []authconfig.View
	Hints   []string
}

func (c *Console) authConfigsPage(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	return c.renderAuthConfigs(w, r, 0, app, page{})
}

func (c *Console) renderAuthConfigs(w http.ResponseWriter, r *http.Request, status int, app store.App, p page) error {
	list, err := c.cfg.Configs.List(r.Context(), app.ID, nil)
	if err != nil {
		return err
	}
	p.Title, p.App = "Sign-in purposes of "+app.ID, &appNav{ID: app.ID, Tab: "auth"}
	p.Data = authConfigsView{Configs: list.Configurations, Hints: []string{"security-key", "client-device", "hybrid"}}
	c.render(w, r, status, "authconfigs", p)
	return nil
}

func (c *Console) authConfigAction(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	purpose := wire.String(strings.TrimSpace(r.PostFormValue("purpose")))
	by := wire.String(s.Name)
	err = c.withEvents(r, app.ID, func(ctx context.Context) error {
		switch action := r.PathValue("action"); action {
		case "add", "edit":
			req := authconfig.Request{
				Purpose:                     purpose,
				UserVerificationRequirement: wire.String(r.PostFormValue("userVerification")),
				PerformedBy:                 by,
			}
			if ttl := strings.TrimSpace(r.PostFormValue("timeToLive")); ttl != "" {
				n, err := strconv.Atoi(ttl)
				if err != nil {
					return problem.Field("timeToLive", "The lifetime must be a whole number of seconds.")
				}
				req.TimeToLive = []byte(strconv.Itoa(n))
			}
			for _, h := range r.PostForm["hint"] {
				req.Hints = append(req.Hints, wire.String(h))
			}
			if action == "add" {
				return c.cfg.Configs.Add(ctx, app.ID, req)
			}
			return c.cfg.Configs.Edit(ctx, app.ID, req)
		case "delete":
			return c.cfg.Configs.Delete(ctx, app.ID, authconfig.DeleteRequest{Purpose: purpose, PerformedBy: by})
		}
		return errUnknownAction
	})
	if err != nil {
		status, msg := c.message(err)
		return c.renderAuthConfigs(w, r, status, app, page{Error: msg})
	}
	c.redirect(w, r, Prefix+"/apps/"+app.ID+"/auth-configs")
	return nil
}

type featuresView struct {
	F              apps.FeaturesResponse
	MagicLinks     bool
	GenerateTokens bool
	Quota          int
	MaxUsers       string
	Origins        string
	RPIDs          string
	MaxRetention   int
}

func (c *Console) featuresPage(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	p := page{}
	if r.URL.Query().Get("saved") != "" {
		p.Notice = "Saved."
	}
	return c.renderFeatures(w, r, 0, app, p)
}

func (c *Console) renderFeatures(w http.ResponseWriter, r *http.Request, status int, app store.App, p page) error {
	f, err := c.cfg.Apps.Features(r.Context(), app.ID)
	if err != nil {
		return err
	}
	v := featuresView{
		F:              f,
		MagicLinks:     app.Features.MagicLinksEnabled,
		GenerateTokens: app.Features.GenerateSignInTokenEnabled,
		Quota:          app.Features.MagicLinkMonthlyQuota,
		Origins:        strings.Join(f.AllowedOrigins, "\n"),
		RPIDs:          strings.Join(f.AllowedRPIDs, "\n"),
		MaxRetention:   apps.MaxRetentionDays,
	}
	if f.MaxUsers != nil {
		v.MaxUsers = strconv.FormatInt(*f.MaxUsers, 10)
	}
	p.Title, p.App, p.Data = "Features of "+app.ID, &appNav{ID: app.ID, Tab: "features"}, v
	c.render(w, r, status, "features", p)
	return nil
}

func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// featuresSave changes the features the form names and nothing else, as
// the API's features endpoints do: a member missing from the posted form
// (a form of an older page, or a script posting one field) keeps its
// value. Each checkbox follows a hidden "off" input of the same name, so
// an unticked box is present too.
func (c *Console) featuresSave(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	// A refused change shows the form again, with the stored values.
	refused := func(err error) error {
		status, msg := c.message(err)
		if fresh, gerr := c.cfg.Apps.Get(r.Context(), app.ID); gerr == nil {
			app = fresh
		}
		return c.renderFeatures(w, r, status, app, page{Error: msg})
	}
	req, err := featuresForm(r)
	if err != nil {
		return refused(err)
	}
	err = c.withEvents(r, app.ID, func(ctx context.Context) error {
		if err := c.cfg.Apps.SetFeatures(ctx, app.ID, req); err != nil {
			return err
		}
		// The self-service toggles record their own events; change only
		// what changed.
		fresh, err := c.cfg.Apps.Get(ctx, app.ID)
		if err != nil {
			return err
		}
		recordFeatureChanges(ctx, s, app.Features, fresh.Features)
		self := apps.SelfFeaturesRequest{PerformedBy: ptr(wire.String(s.Name))}
		changed := false
		if v := formBool(r, "magicLinks"); v != nil && *v != fresh.Features.MagicLinksEnabled {
			self.EnableMagicLinks, changed = v, true
		}
		if v := formBool(r, "generateTokens"); v != nil && *v != fresh.Features.GenerateSignInTokenEnabled {
			self.EnableManuallyGeneratedAuthenticationTokens, changed = v, true
		}
		if !changed {
			return nil
		}
		return c.cfg.Apps.SetSelfFeatures(ctx, fresh, self)
	})
	if err != nil {
		return refused(err)
	}
	c.redirect(w, r, Prefix+"/apps/"+app.ID+"/features?saved=1")
	return nil
}

// featuresForm reads the management features the form names.
func featuresForm(r *http.Request) (apps.SetFeaturesRequest, error) {
	if err := r.ParseForm(); err != nil {
		return apps.SetFeaturesRequest{}, problem.Malformed("The form could not be read.")
	}
	req := apps.SetFeaturesRequest{
		EventLoggingIsEnabled: formBool(r, "eventLogging"),
		AllowAttestation:      formBool(r, "allowAttestation"),
	}
	var err error
	if req.EventLoggingRetentionPeriod, err = formInt(r, "eventLoggingRetentionPeriod"); err != nil {
		return req, err
	}
	if req.MagicLinkEmailMonthlyQuota, err = formInt(r, "magicLinkEmailMonthlyQuota"); err != nil {
		return req, err
	}
	if _, present := r.PostForm["maxUsers"]; present {
		// Empty means no limit.
		if strings.TrimSpace(r.PostForm.Get("maxUsers")) == "" {
			req.MaxUsers = apps.Null(nil)
		} else {
			n, err := formInt(r, "maxUsers")
			if err != nil {
				return req, err
			}
			req.MaxUsers = apps.Null(n)
		}
	}
	if _, present := r.PostForm["allowedOrigins"]; present {
		req.AllowedOrigins = ptr(lines(r.PostForm.Get("allowedOrigins")))
	}
	if _, present := r.PostForm["allowedRpIds"]; present {
		req.AllowedRPIDs = ptr(lines(r.PostForm.Get("allowedRpIds")))
	}
	return req, nil
}

// formBool reads a checkbox and its hidden "off" input: the last value
// wins, and nil means the form does not name the field.
func formBool(r *http.Request, field string) *bool {
	vs := r.PostForm[field]
	if len(vs) == 0 {
		return nil
	}
	return ptr(vs[len(vs)-1] == "on")
}

// formInt reads a whole number; nil when the form does not name the field.
func formInt(r *http.Request, field string) (*wire.Int, error) {
	if _, present := r.PostForm[field]; !present {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get(field)), 10, 64)
	if err != nil {
		return nil, problem.Field(field, "Enter a whole number.")
	}
	return ptr(wire.Int(n)), nil
}

func ptr[T any](v T) *T { return &v }
