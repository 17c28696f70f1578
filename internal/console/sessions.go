package console

import (
	"errors"
	"net/http"

	"github.com/passwordless-oss/server/internal/consolesession"
	"github.com/passwordless-oss/server/internal/useragent"
	"github.com/passwordless-oss/server/internal/wire"
)

// sessionRow is one of the signed-in administrator's sessions.
type sessionRow struct {
	Handle, Created, LastSeen, Device, UserAgent, Address string
	Current                                               bool
}

type sessionsView struct {
	Sessions []sessionRow
}

func (c *Console) sessionsPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderSessions(w, r, s, 0, page{})
}

func (c *Console) renderSessions(w http.ResponseWriter, r *http.Request, s session, status int, p page) error {
	list, err := c.cfg.Sessions.List(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	current := consolesession.Handle(s.ID)
	var v sessionsView
	for _, cs := range list {
		v.Sessions = append(v.Sessions, sessionRow{
			Handle: cs.Handle, Created: wire.FormatStored(cs.CreatedAt), LastSeen: wire.FormatStored(cs.LastSeenAt),
			Device: useragent.Device(cs.UserAgent), UserAgent: cs.UserAgent, Address: cs.Address,
			Current: cs.Handle == current,
		})
	}
	p.Title, p.Data = "Your sessions", v
	c.render(w, r, status, "sessions", p)
	return nil
}

// sessionsEnd ends one of the administrator's sessions, on every instance.
// Ending the current one signs out.
func (c *Console) sessionsEnd(w http.ResponseWriter, r *http.Request, s session) error {
	handle := r.PostFormValue("session")
	err := c.cfg.Sessions.End(r.Context(), s.UserID, handle)
	if errors.Is(err, consolesession.ErrEnded) {
		return c.renderSessions(w, r, s, http.StatusNotFound, page{Error: "That session has ended already."})
	}
	if err != nil {
		return err
	}
	if handle == consolesession.Handle(s.ID) {
		c.clearSession(w, r)
		return seeOther(Prefix + "/signin")
	}
	return seeOther(Prefix + "/sessions")
}

// sessionsEndAll signs the administrator out everywhere, this browser too.
func (c *Console) sessionsEndAll(w http.ResponseWriter, r *http.Request, s session) error {
	if err := c.cfg.Sessions.EndAll(r.Context(), s.UserID); err != nil {
		return err
	}
	c.clearSession(w, r)
	return seeOther(Prefix + "/signin")
}
