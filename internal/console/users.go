package console

import (
	"context"
	"net/http"
	"net/url"

	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/users"
	"github.com/passwordless-oss/server/internal/wire"
)

var errUnknownAction = problem.New(http.StatusNotFound, "", "Unknown action.")

type usersView struct {
	Users []users.UserMatch
	// Summary counts the listed users and those with a passkey.
	Summary string
	// Query is the search, and NextURL and FirstURL link the pages.
	Query, NextURL, FirstURL string
}

func (c *Console) usersPage(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	return c.renderUsers(w, r, 0, app, page{})
}

func (c *Console) renderUsers(w http.ResponseWriter, r *http.Request, status int, app store.App, p page) error {
	v, err := c.usersPageView(r, app)
	if err != nil {
		return err
	}
	p.Title, p.App = "Users of "+app.ID, &appNav{ID: app.ID, Tab: "users"}
	p.Data = v
	c.render(w, r, status, "users", p)
	return nil
}

type userView struct {
	UserID      string
	Aliases     []users.AliasView
	Credentials []credentialRow
}

func (c *Console) userPage(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	return c.renderUser(w, r, 0, app, r.URL.Query().Get("id"), page{})
}

func (c *Console) renderUser(w http.ResponseWriter, r *http.Request, status int, app store.App, userID string, p page) error {
	ctx := r.Context()
	aliases, err := c.cfg.Users.ListAliases(ctx, app, userID)
	if err != nil {
		return err
	}
	creds, err := c.cfg.Users.ListCredentials(ctx, app, userID)
	if err != nil {
		return err
	}
	p.Title, p.App = "User "+userID, &appNav{ID: app.ID, Tab: "users"}
	p.Data = userView{UserID: userID, Aliases: aliases.Values, Credentials: c.credentialRows(creds.Values)}
	c.render(w, r, status, "user", p)
	return nil
}

func (c *Console) userDelete(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	userID := r.PostFormValue("userId")
	err = c.withEvents(r, app.ID, func(ctx context.Context) error {
		return c.cfg.Users.DeleteUser(ctx, app, users.UserIDRequest{UserID: wire.String(userID)})
	})
	if err != nil {
		status, msg := c.message(err)
		return c.renderUsers(w, r, status, app, page{Error: msg})
	}
	c.redirect(w, r, Prefix+"/apps/"+app.ID+"/users")
	return nil
}

func (c *Console) credentialDelete(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	userID := r.PostFormValue("userId")
	err = c.withEvents(r, app.ID, func(ctx context.Context) error {
		return c.cfg.Users.DeleteCredential(ctx, app, users.DeleteCredentialRequest{CredentialID: wire.String(r.PostFormValue("credentialId"))})
	})
	if err != nil {
		status, msg := c.message(err)
		return c.renderUser(w, r, status, app, userID, page{Error: msg})
	}
	c.redirect(w, r, Prefix+"/apps/"+app.ID+"/user?id="+url.QueryEscape(userID))
	return nil
}
