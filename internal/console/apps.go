package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/passwordless-oss/server/internal/apikey"
	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

type appRow struct {
	ID         string
	AdminEmail string
	CreatedAt  string
	DeleteAt   string
}

type appsView struct {
	Apps    []appRow
	Check   string
	Created *apps.CreateResponse
	NewID   string
	// Form is what the create form showed, kept across a check or an error.
	Form struct {
		ID, AdminEmail string
		NoEventLogging bool
	}
}

// loadApp returns the app named in the path; the console's own app is not
// managed here.
func (c *Console) loadApp(r *http.Request) (store.App, error) {
	id := r.PathValue("app")
	if id == ConsoleAppID {
		return store.App{}, fail(http.StatusNotFound, "The console's own app is managed on the Administrators page.")
	}
	app, err := c.cfg.Apps.Get(r.Context(), id)
	if apps.IsNotFound(err) {
		return app, fail(http.StatusNotFound, "There is no app "+id+".")
	}
	return app, err
}

func (c *Console) listApps(ctx context.Context) ([]appRow, error) {
	list, err := c.cfg.Apps.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []appRow
	for _, app := range list {
		if app.ID == ConsoleAppID {
			continue
		}
		row := appRow{ID: app.ID, AdminEmail: app.AdminEmail, CreatedAt: wire.FormatStored(app.CreatedAt)}
		if app.DeleteAt != nil {
			row.DeleteAt = wire.FormatStored(*app.DeleteAt)
		}
		out = append(out, row)
	}
	return out, nil
}

func (c *Console) appsPage(w http.ResponseWriter, r *http.Request, s session) error {
	p := page{}
	// ?check= is the availability check of older pages (the form posts it now).
	if id := strings.TrimSpace(r.URL.Query().Get("check")); id != "" {
		v := appsView{}
		v.Form.ID = id
		p = c.checkAvailable(r.Context(), id, v)
	}
	return c.renderApps(w, r, 0, p)
}

// checkAvailable is the page that says whether id is free.
func (c *Console) checkAvailable(ctx context.Context, id string, v appsView) page {
	p := page{Data: v}
	res, err := c.cfg.Apps.Available(ctx, id)
	switch {
	case err != nil:
		_, p.Error = c.message(err)
	case res["available"] && id != ConsoleAppID:
		p.Notice = "The id " + id + " is available."
	default:
		p.Error = "The id " + id + " is taken."
	}
	return p
}

func (c *Console) renderApps(w http.ResponseWriter, r *http.Request, status int, p page) error {
	list, err := c.listApps(r.Context())
	if err != nil {
		return err
	}
	v, _ := p.Data.(appsView)
	v.Apps = list
	p.Title, p.Data = "Applications", v
	c.render(w, r, status, "apps", p)
	return nil
}

func (c *Console) appsCreate(w http.ResponseWriter, r *http.Request, s session) error {
	id := strings.TrimSpace(r.PostFormValue("id"))
	email := strings.TrimSpace(r.PostFormValue("adminEmail"))
	v := appsView{}
	v.Form.ID, v.Form.AdminEmail = id, email
	v.Form.NoEventLogging = r.PostFormValue("eventLogging") != "on"
	if r.PostFormValue("action") == "check" {
		return c.renderApps(w, r, 0, c.checkAvailable(r.Context(), id, v))
	}
	if id == ConsoleAppID {
		return c.renderApps(w, r, http.StatusConflict, page{Error: "The id " + id + " is reserved for the console.", Data: v})
	}
	retention := wire.Int(30)
	var res apps.CreateResponse
	err := c.withEvents(r, id, func(ctx context.Context) error {
		var err error
		res, err = c.cfg.Apps.Create(ctx, id, apps.CreateRequest{
			AdminEmail:                  wire.String(email),
			EventLoggingIsEnabled:       r.PostFormValue("eventLogging") == "on",
			EventLoggingRetentionPeriod: &retention,
		})
		return err
	})
	if err != nil {
		status, msg := c.message(err)
		return c.renderApps(w, r, status, page{Error: msg, Data: v})
	}
	c.log.Info("console: app created", "app", id, "by", s.UserID)
	v = appsView{Created: &res, NewID: id}
	c.render(w, r, http.StatusOK, "app_created", page{Title: "App " + id + " created", Data: v})
	return nil
}

type appView struct {
	App        appRow
	APIURL     string
	PublicKeys []apps.KeyView
	CanDelete  bool
	DeleteNow  bool
	Pending    bool
	Due        bool
}

func (c *Console) appPage(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	return c.renderApp(w, r, 0, app, page{})
}

func (c *Console) renderApp(w http.ResponseWriter, r *http.Request, status int, app store.App, p page) error {
	ctx := r.Context()
	keys, err := c.cfg.Apps.ListKeys(ctx, app.ID)
	if err != nil {
		return err
	}
	v := appView{App: appRow{ID: app.ID, AdminEmail: app.AdminEmail, CreatedAt: wire.FormatStored(app.CreatedAt)}, APIURL: c.baseURL(r)}
	for _, k := range keys {
		if store.KeyKind(k.Type) == store.KeyPublic {
			v.PublicKeys = append(v.PublicKeys, k)
		}
	}
	if app.DeleteAt != nil {
		v.Pending = true
		v.App.DeleteAt = wire.FormatStored(*app.DeleteAt)
		v.Due = !app.DeleteAt.After(c.now())
	} else if v.DeleteNow, err = c.cfg.Apps.CanDeleteImmediately(ctx, app.ID); err != nil {
		return err
	}
	p.Title, p.App, p.Data = "App "+app.ID, &appNav{ID: app.ID, Tab: "start"}, v
	c.render(w, r, status, "app", p)
	return nil
}

func (c *Console) appMarkDelete(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != app.ID {
		return c.renderApp(w, r, http.StatusBadRequest, app, page{Error: "Type the app id to confirm the deletion."})
	}
	var res apps.DeletionResult
	err = c.withEvents(r, app.ID, func(ctx context.Context) error {
		var err error
		res, err = c.cfg.Apps.MarkDelete(ctx, app.ID, apps.MarkDeleteRequest{DeletedBy: wire.String(s.Name)})
		return err
	})
	if err != nil {
		status, msg := c.message(err)
		return c.renderApp(w, r, status, app, page{Error: msg})
	}
	if res.IsDeleted {
		return c.renderApps(w, r, 0, page{Notice: res.Message})
	}
	c.redirect(w, r, Prefix+"/apps/"+app.ID)
	return nil
}

func (c *Console) appCancelDelete(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	err = c.withEvents(r, app.ID, func(ctx context.Context) error {
		_, err := c.cfg.Apps.CancelDelete(ctx, app.ID)
		return err
	})
	if err != nil {
		status, msg := c.message(err)
		return c.renderApp(w, r, status, app, page{Error: msg})
	}
	c.redirect(w, r, Prefix+"/apps/"+app.ID)
	return nil
}

func (c *Console) appDelete(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	res, err := c.cfg.Apps.Delete(r.Context(), app.ID)
	if err != nil {
		status, msg := c.message(err)
		return c.renderApp(w, r, status, app, page{Error: msg})
	}
	return c.renderApps(w, r, 0, page{Notice: res.Message})
}

type keysView struct {
	Keys   []apps.KeyView
	NewKey string
	Kind   string
}

func (c *Console) keysPage(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	return c.renderKeys(w, r, 0, app, page{})
}

func (c *Console) renderKeys(w http.ResponseWriter, r *http.Request, status int, app store.App, p page) error {
	var keys []apps.KeyView
	err := c.withEvents(r, app.ID, func(ctx context.Context) error {
		var err error
		keys, err = c.cfg.Apps.ListKeys(ctx, app.ID)
		return err
	})
	if err != nil {
		return err
	}
	v, _ := p.Data.(keysView)
	v.Keys = keys
	p.Title, p.App, p.Data = "API keys of "+app.ID, &appNav{ID: app.ID, Tab: "keys"}, v
	c.render(w, r, status, "keys", p)
	return nil
}

// scopeIndex maps the form's scope names to the numbers of the key
// creation body, per key kind.
var scopeIndex = map[store.KeyKind]map[string]wire.Int{
	store.KeyPublic: {apikey.ScopeRegister: 0, apikey.ScopeLogin: 1},
	store.KeySecret: {apikey.ScopeTokenRegister: 0, apikey.ScopeTokenVerify: 1},
}

func (c *Console) keysCreate(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	kind := store.KeyPublic
	if r.PostFormValue("kind") == "secret" {
		kind = store.KeySecret
	}
	var scopes []wire.Int
	for _, name := range r.PostForm["scope"] {
		if n, ok := scopeIndex[kind][name]; ok {
			scopes = append(scopes, n)
		}
	}
	var res map[string]string
	err = c.withEvents(r, app.ID, func(ctx context.Context) error {
		var err error
		res, err = c.cfg.Apps.CreateKey(ctx, app.ID, kind, apps.CreateKeyRequest{Scopes: scopes})
		return err
	})
	if err != nil {
		status, msg := c.message(err)
		return c.renderKeys(w, r, status, app, page{Error: msg})
	}
	v := keysView{NewKey: res["apiKey"], Kind: kindName(kind)}
	notice := "Public key created."
	if kind == store.KeySecret {
		notice = "Secret created. Copy it now: it is stored hashed and will not be shown again."
	}
	return c.renderKeys(w, r, 0, app, page{Notice: notice, Data: v})
}

func kindName(k store.KeyKind) string {
	if k == store.KeySecret {
		return "secret"
	}
	return "public"
}

func (c *Console) keyAction(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	keyID := r.PathValue("key")
	err = c.withEvents(r, app.ID, func(ctx context.Context) error {
		switch r.PathValue("action") {
		case "lock":
			return c.cfg.Apps.SetKeyLocked(ctx, app.ID, keyID, true)
		case "unlock":
			return c.cfg.Apps.SetKeyLocked(ctx, app.ID, keyID, false)
		case "delete":
			return c.cfg.Apps.DeleteKey(ctx, app.ID, keyID)
		}
		return errUnknownAction
	})
	if err != nil {
		status, msg := c.message(err)
		return c.renderKeys(w, r, status, app, page{Error: msg})
	}
	c.redirect(w, r, Prefix+"/apps/"+app.ID+"/keys")
	return nil
}
