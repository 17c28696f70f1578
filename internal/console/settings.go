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

func (c *Console) authConfigsPage(w http.ResponseWriter, r *http.Request, s session) {
	app, ok := c.loadApp(w, r)
	if !ok {
		return
	}
	c.renderAuthConfigs(w, r, 0, app, page{})
}

func (c *Console) renderAuthConfigs(w http.ResponseWriter, r *http.Request, status int, app store.App, p page) {
	list, err := c.cfg.Configs.List(r.Context(), app.ID, nil)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	p.Title, p.App = "Sign-in purposes of "+app.ID, &appNav{ID: app.ID, Tab: "auth"}
	p.Data = authConfigsView{Configs: list.Configurations, Hints: []string{"security-key", "client-device", "hybrid"}}
	c.render(w, r, status, "authconfigs", p)
}

func (c *Console) authConfigAction(w http.ResponseWriter, r *http.Request, s session) {
	app, ok := c.loadApp(w, r)
	if !ok {
		return
	}
	purpose := wire.String(strings.TrimSpace(r.PostFormValue("purpose")))
	by := wire.String(s.Name)
	err := c.withEvents(r, app.ID, func(ctx context.Context) error {
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
		c.renderAuthConfigs(w, r, status, app, page{Error: msg})
		return
	}
	c.redirect(w, r, Prefix+"/apps/"+app.ID+"/auth-configs")
}

type featuresView struct {
	F              apps.FeaturesResponse
	MagicLinks     bool
	GenerateTokens bool
	Quota          int
	MaxUsers       string
	Origins        string
	RPIDs          string
}

func (c *Console) featuresPage(w http.ResponseWriter, r *http.Request, s session) {
	app, ok := c.loadApp(w, r)
	if !ok {
		return
	}
	p := page{}
	if r.URL.Query().Get("saved") != "" {
		p.Notice = "Saved."
	}
	c.renderFeatures(w, r, 0, app, p)
}

func (c *Console) renderFeatures(w http.ResponseWriter, r *http.Request, status int, app store.App, p page) {
	f, err := c.cfg.Apps.Features(r.Context(), app.ID)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	v := featuresView{
		F:              f,
		MagicLinks:     app.Features.MagicLinksEnabled,
		GenerateTokens: app.Features.GenerateSignInTokenEnabled,
		Quota:          app.Features.MagicLinkMonthlyQuota,
		Origins:        strings.Join(f.AllowedOrigins, "\n"),
		RPIDs:          strings.Join(f.AllowedRPIDs, "\n"),
	}
	if f.MaxUsers != nil {
		v.MaxUsers = strconv.FormatInt(*f.MaxUsers, 10)
	}
	p.Title, p.App, p.Data = "Features of "+app.ID, &appNav{ID: app.ID, Tab: "features"}, v
	c.render(w, r, status, "features", p)
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

func (c *Console) featuresSave(w http.ResponseWriter, r *http.Request, s session) {
	app, ok := c.loadApp(w, r)
	if !ok {
		return
	}
	fail := func(err error) {
		status, msg := c.message(err)
		if fresh, gerr := c.cfg.Apps.Get(r.Context(), app.ID); gerr == nil {
			app = fresh
		}
		c.renderFeatures(w, r, status, app, page{Error: msg})
	}
	num := func(field string) (wire.Int, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(field)), 10, 64)
		if err != nil {
			return 0, problem.Field(field, "Enter a whole number.")
		}
		return wire.Int(n), nil
	}
	retention, err := num("eventLoggingRetentionPeriod")
	if err != nil {
		fail(err)
		return
	}
	quota, err := num("magicLinkEmailMonthlyQuota")
	if err != nil {
		fail(err)
		return
	}
	req := apps.SetFeaturesRequest{
		EventLoggingIsEnabled:       r.PostFormValue("eventLogging") == "on",
		EventLoggingRetentionPeriod: retention,
		MagicLinkEmailMonthlyQuota:  quota,
		AllowAttestation:            r.PostFormValue("allowAttestation") == "on",
	}
	if strings.TrimSpace(r.PostFormValue("maxUsers")) != "" {
		n, err := num("maxUsers")
		if err != nil {
			fail(err)
			return
		}
		req.MaxUsers = &n
	}
	origins, rpids := lines(r.PostFormValue("allowedOrigins")), lines(r.PostFormValue("allowedRpIds"))
	req.AllowedOrigins, req.AllowedRPIDs = &origins, &rpids
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
		self := apps.SelfFeaturesRequest{PerformedBy: ptr(wire.String(s.Name))}
		changed := false
		if v := r.PostFormValue("magicLinks") == "on"; v != fresh.Features.MagicLinksEnabled {
			self.EnableMagicLinks, changed = &v, true
		}
		if v := r.PostFormValue("generateTokens") == "on"; v != fresh.Features.GenerateSignInTokenEnabled {
			self.EnableManuallyGeneratedAuthenticationTokens, changed = &v, true
		}
		if !changed {
			return nil
		}
		return c.cfg.Apps.SetSelfFeatures(ctx, fresh, self)
	})
	if err != nil {
		fail(err)
		return
	}
	c.redirect(w, r, Prefix+"/apps/"+app.ID+"/features?saved=1")
}

func ptr[T any](v T) *T { return &v }
