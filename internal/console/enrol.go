package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/singleuse"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/users"
	"github.com/passwordless-oss/server/internal/wire"
)

// Enrolment registers an administrator's passkey: with the one-time setup
// secret printed at start (first administrator) or with an invitation made
// by an administrator. The flow is
//
//	/console/enrol/begin   secret + name  -> register_ token + sealed pending state
//	(browser)              /register/begin, navigator.credentials.create, /register/complete
//	/console/enrol/finish  secret + pending + verify_ token -> session
//
// The secret is used up at finish; only then does the new user get its
// alias (its name), which is what makes a console user an administrator.

const (
	inviteKind  = token.Kind("consoleinvite_")
	pendingKind = token.Kind("consoleenrol_")
	maxNameLen  = 100
)

type invite struct {
	ID        string    `json:"id"`
	ExpiresAt time.Time `json:"exp"`
	By        string    `json:"by"`
}

type pending struct {
	UserID    string    `json:"uid"`
	Name      string    `json:"n"`
	Secret    string    `json:"s"`
	ExpiresAt time.Time `json:"exp"`
}

type enrolView struct {
	Token  string
	Invite bool
	Valid  bool
	APIKey string
	By     string
}

func (c *Console) enrolPage(w http.ResponseWriter, r *http.Request) error {
	secret := r.URL.Query().Get("token")
	v := enrolView{Token: secret, Invite: strings.HasSuffix(r.URL.Path, "/invite")}
	title := "Set up the console"
	if v.Invite {
		title = "Accept an invitation"
	}
	inv, err := c.checkSecret(r.Context(), secret)
	if err != nil {
		c.render(w, r, http.StatusBadRequest, "enrol", page{Title: title, Error: err.Error(), Data: v})
		return nil
	}
	v.By = inv.By
	key, err := c.publicKey(r.Context())
	if err != nil {
		return err
	}
	v.Valid, v.APIKey = true, key
	c.render(w, r, 0, "enrol", page{Title: title, Data: v})
	return nil
}

// checkSecret validates a setup secret or an invitation without using it
// up. For invitations it returns their content.
func (c *Console) checkSecret(ctx context.Context, secret string) (invite, error) {
	if strings.HasPrefix(secret, "setup_") {
		if !c.checkSetupSecret(secret) {
			return invite{}, errors.New("This setup link is not valid: it was used or has expired. Restart the server to print a new one if the console still has no administrator.")
		}
		admins, err := c.admins(ctx)
		if err != nil {
			return invite{}, err
		}
		if len(admins) > 0 {
			return invite{}, errors.New("The console already has an administrator; ask for an invitation.")
		}
		return invite{By: "the server's setup link"}, nil
	}
	var inv invite
	s := secret
	if secret == "" || c.cfg.Tokens.Open(ctx, ConsoleAppID, inviteKind, &s, &inv) != nil {
		return inv, errors.New("This invitation link is not valid.")
	}
	if c.now().After(inv.ExpiresAt) {
		return inv, errors.New("This invitation has expired; ask for a new one.")
	}
	return inv, nil
}

type beginRequest struct {
	Token string `json:"token"`
	Name  string `json:"name"`
}

type beginResponse struct {
	RegisterToken string `json:"registerToken"`
	Pending       string `json:"pending"`
}

// enrolBegin checks the secret and the name and mints a register_ token of
// the console app for a new user id.
func (c *Console) enrolBegin(w http.ResponseWriter, r *http.Request) {
	var req beginRequest
	if !c.sameOrigin(r) {
		writeJSONError(w, http.StatusForbidden, crossOrigin)
		return
	}
	if json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req) != nil || !isText(req.Name) || !isText(req.Token) {
		writeJSONError(w, http.StatusBadRequest, "Bad request.")
		return
	}
	ctx := r.Context()
	if _, err := c.checkSecret(ctx, req.Token); err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || utf8.RuneCountInString(name) > maxNameLen {
		writeJSONError(w, http.StatusBadRequest, "Enter your name or e-mail address (at most 100 characters).")
		return
	}
	admins, err := c.admins(ctx)
	if err != nil {
		c.jsonErr(w, err)
		return
	}
	for _, a := range admins {
		if strings.EqualFold(a.Name, name) {
			writeJSONError(w, http.StatusConflict, "An administrator with this name exists already.")
			return
		}
	}
	app, err := c.consoleApp(ctx)
	if err != nil {
		c.jsonErr(w, err)
		return
	}
	userID := "admin-" + randomHex(8)
	uid, un, uv := wire.String(userID), wire.String(name), wire.String("required")
	disc := true
	var tok passkey.TokenResponse
	err = c.withEvents(r, ConsoleAppID, func(ctx context.Context) error {
		tok, err = c.cfg.Passkeys.RegisterToken(ctx, app, passkey.RegisterTokenRequest{
			UserID: &uid, Username: &un, DisplayName: &un, Discoverable: &disc, UserVerification: &uv,
		})
		return err
	})
	if err != nil {
		c.jsonErr(w, err)
		return
	}
	p, err := c.cfg.Tokens.Seal(ctx, ConsoleAppID, pendingKind, pending{
		UserID: userID, Name: name, Secret: req.Token, ExpiresAt: c.now().Add(10 * time.Minute).UTC(),
	})
	if err != nil {
		c.jsonErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, beginResponse{RegisterToken: tok.Token, Pending: p})
}

// enrolFinish verifies the registration, uses the secret up, names the
// new administrator and signs them in.
func (c *Console) enrolFinish(w http.ResponseWriter, r *http.Request) error {
	if err := c.parseOwnForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var p pending
	ps := r.PostFormValue("pending")
	if c.cfg.Tokens.Open(ctx, ConsoleAppID, pendingKind, &ps, &p) != nil || c.now().After(p.ExpiresAt) {
		return fail(http.StatusBadRequest, "The registration took too long or was not started here. Open the link again.")
	}
	app, err := c.consoleApp(ctx)
	if err != nil {
		return err
	}
	var v passkey.VerifiedUser
	err = c.withEvents(r, ConsoleAppID, func(ctx context.Context) error {
		vt := wire.String(r.PostFormValue("token"))
		v, err = c.cfg.Passkeys.Verify(ctx, app, passkey.VerifyRequest{Token: &vt})
		return err
	})
	if err != nil || v.UserID != p.UserID || v.Type != "passkey_register" {
		return fail(http.StatusBadRequest, "The passkey registration could not be verified. Open the link again.")
	}
	// From here on a failure leaves a passkey that must not linger.
	discard := func(shown error) error {
		_ = c.withEvents(r, ConsoleAppID, func(ctx context.Context) error {
			return c.cfg.Users.DeleteUser(ctx, app, users.UserIDRequest{UserID: wire.String(p.UserID)})
		})
		return shown
	}
	invitedBy := "" // the setup link's administrator was invited by nobody
	if strings.HasPrefix(p.Secret, "setup_") {
		if admins, err := c.admins(ctx); err != nil || len(admins) > 0 || !c.useSetupSecret(p.Secret) {
			return discard(fail(http.StatusBadRequest, "This setup link was used already or has expired."))
		}
	} else {
		inv, err := c.checkSecret(ctx, p.Secret)
		if err != nil {
			return discard(fail(http.StatusBadRequest, err.Error()))
		}
		invitedBy = inv.By
		// The single-use record holds across instances; it holds the
		// invitation's random id, no app data.
		if err := c.cfg.SingleUse.Use(ctx, ConsoleAppID, "console-invite:"+inv.ID, inv.ExpiresAt); err != nil {
			if errors.Is(err, singleuse.ErrUsed) {
				return discard(fail(http.StatusBadRequest, "This invitation was used already."))
			}
			return discard(failCause(http.StatusBadRequest, "The invitation could not be checked; try again.",
				fmt.Errorf("consume console invitation: %w", err)))
		}
	}
	no := false
	name := wire.String(p.Name)
	err = c.withEvents(r, ConsoleAppID, func(ctx context.Context) error {
		if err := c.cfg.Users.SetAliases(ctx, app, users.SetAliasesRequest{
			UserID: wire.String(p.UserID), Aliases: []*wire.String{&name}, Hashing: &no,
		}); err != nil {
			return err
		}
		recordEnrolment(ctx, p, invitedBy)
		return nil
	})
	if err != nil {
		return discard(fail(http.StatusBadRequest, "An administrator with this name exists already."))
	}
	c.log.Info("console administrator enrolled", "user", p.UserID)
	if err := c.startSession(w, r, p.UserID, p.Name); err != nil {
		return err
	}
	c.redirect(w, r, Prefix+"/apps")
	return nil
}
