package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/users"
	"github.com/passwordless-oss/server/internal/wire"
)

type adminsView struct {
	Admins     []admin
	Me         string
	InviteLink string
	InviteTTL  time.Duration
	// Events are the newest of the console app's log.
	Events []eventRow
}

func (c *Console) adminsPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderAdmins(w, r, s, 0, page{})
}

func (c *Console) renderAdmins(w http.ResponseWriter, r *http.Request, s session, status int, p page) error {
	admins, err := c.admins(r.Context())
	if err != nil {
		return err
	}
	v, _ := p.Data.(adminsView)
	v.Admins, v.Me, v.InviteTTL = admins, s.UserID, c.cfg.InviteTTL
	if v.Events, err = c.adminEvents(r.Context()); err != nil {
		return err
	}
	p.Title, p.Data = "Administrators", v
	c.render(w, r, status, "admins", p)
	return nil
}

// adminsInvite makes a single-use invitation link and shows it once.
func (c *Console) adminsInvite(w http.ResponseWriter, r *http.Request, s session) error {
	inv := invite{ID: randomHex(16), ExpiresAt: c.now().Add(c.cfg.InviteTTL).UTC(), By: s.Name}
	tok, err := c.cfg.Tokens.Seal(r.Context(), ConsoleAppID, inviteKind, inv)
	if err != nil {
		return err
	}
	link := c.baseURL(r) + Prefix + "/invite?token=" + url.QueryEscape(tok)
	c.recordAdminEvent(r, events.Event{Type: events.AdminSendAdminInvite,
		Message: fmt.Sprintf("%s created an invitation, valid until %s", s.Name, inv.ExpiresAt.Format(time.RFC3339))})
	return c.renderAdmins(w, r, s, 0, page{Notice: "Invitation created. Send the link to the new administrator; it works once.",
		Data: adminsView{InviteLink: link}})
}

func (c *Console) adminsDelete(w http.ResponseWriter, r *http.Request, s session) error {
	ctx := r.Context()
	userID := r.PostFormValue("userId")
	admins, err := c.admins(ctx)
	if err != nil {
		return err
	}
	found, name := false, ""
	for _, a := range admins {
		if a.UserID == userID {
			found, name = true, a.Name
		}
	}
	if !found {
		return c.renderAdmins(w, r, s, http.StatusNotFound, page{Error: "There is no such administrator."})
	}
	if len(admins) == 1 {
		return c.renderAdmins(w, r, s, http.StatusBadRequest, page{Error: "The last administrator cannot be removed."})
	}
	app, err := c.consoleApp(ctx)
	if err != nil {
		return err
	}
	if err := c.withEvents(r, ConsoleAppID, func(ctx context.Context) error {
		events.Record(ctx, events.Event{Type: events.AdminDeleteAdmin, Subject: userID,
			Message: fmt.Sprintf("%s removed the administrator %s", s.Name, name)})
		return c.cfg.Users.DeleteUser(ctx, app, users.UserIDRequest{UserID: wire.String(userID)})
	}); err != nil {
		return err
	}
	// Their sessions are refused already (they are no administrator); the
	// rows go too, so they do not wait for the purge.
	if err := c.cfg.Sessions.EndAll(ctx, userID); err != nil {
		c.log.Error("end the removed administrator's sessions", "err", err)
	}
	if userID == s.UserID {
		c.clearSession(w, r)
		c.redirect(w, r, Prefix+"/signin")
		return nil
	}
	c.redirect(w, r, Prefix+"/admins")
	return nil
}
