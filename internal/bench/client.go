package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/passwordless-oss/server/internal/softauthn"
)

// UserAgent is sent by the completing calls, as a browser would.
const UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

// Client calls one server's API as the browser client and the backend of
// one app would.
type Client struct {
	BaseURL   string
	APIKey    string
	APISecret string
	Origin    string
	RPID      string
	HTTP      *http.Client
	Rec       *Recorder // may be nil
}

// NewHTTPClient returns a keep-alive client sized for conc concurrent
// callers. It refuses to connect to anything but loopback addresses: the
// check runs on the resolved address of each connection, so a host name
// such as "localhost" that resolves elsewhere is refused too.
func NewHTTPClient(conc int) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: loopbackOnly}
	tr := &http.Transport{
		DialContext:         dialer.DialContext,
		MaxIdleConns:        conc + 16,
		MaxIdleConnsPerHost: conc + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// loopbackOnly is a net.Dialer Control function: it runs after name
// resolution, with the address about to be connected.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("bench: refusing to connect to non-loopback address %s", address)
	}
	return nil
}

// CheckLoopback returns an error unless rawURL names a loopback host.
func CheckLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	h := u.Hostname()
	if h == "localhost" {
		return nil
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address; the load generator only targets this machine", h)
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Op     string
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d: %s", e.Op, e.Status, e.Body)
}

// errClass names an error for the error counts.
func errClass(err error) string {
	var se *StatusError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return strconv.Itoa(se.Status)
	case errors.Is(err, errCheck):
		return "check"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return "transport"
}

var errCheck = errors.New("unexpected response content")

// Post sends a JSON body with one auth header and decodes a JSON answer
// into out (nil: discard). It records the latency under op.
func (c *Client) Post(ctx context.Context, op, path, authHeader, authValue string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	start := time.Now()
	err = c.post(ctx, op, path, authHeader, authValue, b, out)
	if c.Rec != nil && (err == nil || ctx.Err() == nil) {
		c.Rec.Observe(op, time.Since(start), errClass(err))
	}
	return err
}

func (c *Client) post(ctx context.Context, op, path, authHeader, authValue string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	if authHeader != "" {
		req.Header.Set(authHeader, authValue)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return &StatusError{Op: op, Status: res.StatusCode, Body: string(truncate(rb, 300))}
	}
	if out != nil {
		if err := json.Unmarshal(rb, out); err != nil {
			return fmt.Errorf("%s: decode answer: %w (%w)", op, err, errCheck)
		}
	}
	return nil
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// App holds the keys of an app.
type App struct {
	ID        string `json:"id"`
	APIKey    string `json:"-"`
	APISecret string `json:"-"`
}

// CreateApp creates the app through the management API. If the app exists
// (a database seeded by an earlier run), it makes a fresh public key and
// secret for it instead.
func CreateApp(ctx context.Context, hc *http.Client, baseURL, managementKey, appID string) (App, error) {
	c := &Client{BaseURL: baseURL, HTTP: hc}
	var res struct {
		APIKey1    string `json:"apiKey1"`
		APISecret1 string `json:"apiSecret1"`
	}
	err := c.post(ctx, "create app", "/admin/apps/"+appID+"/create", "ManagementKey", managementKey,
		[]byte(`{"adminEmail":"bench@example.com"}`), &res)
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusConflict {
		var pk, sk struct {
			APIKey string `json:"apiKey"`
		}
		if err := c.post(ctx, "create key", "/admin/apps/"+appID+"/public-keys", "ManagementKey", managementKey, []byte(`{"scopes":[0,1]}`), &pk); err != nil {
			return App{}, err
		}
		if err := c.post(ctx, "create key", "/admin/apps/"+appID+"/secret-keys", "ManagementKey", managementKey, []byte(`{"scopes":[0,1]}`), &sk); err != nil {
			return App{}, err
		}
		return App{ID: appID, APIKey: pk.APIKey, APISecret: sk.APIKey}, nil
	}
	if err != nil {
		return App{}, err
	}
	return App{ID: appID, APIKey: res.APIKey1, APISecret: res.APISecret1}, nil
}

// User is a registered user with its own authenticator, so discoverable
// sign-ins pick its credential and counters of different users never
// interleave.
type User struct {
	ID    string
	Alias string
	Auth  *softauthn.Authenticator
	Cred  *softauthn.Credential
}

type beginAnswer struct {
	Data    json.RawMessage `json:"data"`
	Session string          `json:"session"`
}

type tokenAnswer struct {
	Token string `json:"token"`
}

type verifyAnswer struct {
	Success      bool   `json:"success"`
	UserID       string `json:"userId"`
	Type         string `json:"type"`
	CredentialID string `json:"credentialId"`
}

// Register runs a full registration ceremony for a new user: register/token,
// register/begin, register/complete, signin/verify.
func (c *Client) Register(ctx context.Context, userID, alias string, alg softauthn.Alg) (*User, error) {
	u := &User{ID: userID, Alias: alias, Auth: softauthn.New()}
	var tok tokenAnswer
	tb := map[string]any{"userId": userID, "username": userID, "displayName": userID}
	if alias != "" {
		tb["aliases"] = []string{alias}
	}
	if err := c.Post(ctx, OpRegisterToken, "/register/token", "ApiSecret", c.APISecret, tb, &tok); err != nil {
		return nil, err
	}
	var begin beginAnswer
	if err := c.Post(ctx, OpRegisterBegin, "/register/begin", "ApiKey", c.APIKey,
		map[string]any{"token": tok.Token, "RPID": c.RPID, "Origin": c.Origin}, &begin); err != nil {
		return nil, err
	}
	resp, cred, err := u.Auth.Create(begin.Data, c.Origin, softauthn.WithAlg(alg))
	if err != nil {
		return nil, fmt.Errorf("authenticator create: %w", err)
	}
	u.Cred = cred
	var done tokenAnswer
	if err := c.Post(ctx, OpRegisterComplete, "/register/complete", "ApiKey", c.APIKey, map[string]any{
		"session": begin.Session, "response": json.RawMessage(resp), "nickname": "bench",
		"RPID": c.RPID, "Origin": c.Origin,
	}, &done); err != nil {
		return nil, err
	}
	if err := c.verify(ctx, done.Token, userID, "passkey_register", cred.ID); err != nil {
		return nil, err
	}
	return u, nil
}

// SigninMode selects how a sign-in begins.
type SigninMode string

// Sign-in modes.
const (
	ByID         SigninMode = "id"
	ByAlias      SigninMode = "alias"
	Discoverable SigninMode = "discoverable"
)

// Signin runs a full sign-in ceremony: signin/begin, signin/complete,
// signin/verify.
func (c *Client) Signin(ctx context.Context, u *User, mode SigninMode) error {
	bb := map[string]any{"RPID": c.RPID, "Origin": c.Origin}
	switch mode {
	case ByID:
		bb["userId"] = u.ID
	case ByAlias:
		bb["alias"] = u.Alias
	}
	var begin beginAnswer
	if err := c.Post(ctx, OpSigninBegin, "/signin/begin", "ApiKey", c.APIKey, bb, &begin); err != nil {
		return err
	}
	resp, err := u.Auth.Get(begin.Data, c.Origin)
	if err != nil {
		return fmt.Errorf("authenticator get: %w", err)
	}
	var done tokenAnswer
	if err := c.Post(ctx, OpSigninComplete, "/signin/complete", "ApiKey", c.APIKey, map[string]any{
		"session": begin.Session, "response": json.RawMessage(resp), "RPID": c.RPID, "Origin": c.Origin,
	}, &done); err != nil {
		return err
	}
	return c.verify(ctx, done.Token, u.ID, "passkey_signin", u.Cred.ID)
}

func (c *Client) verify(ctx context.Context, tok, userID, typ string, credID []byte) error {
	var v verifyAnswer
	if err := c.Post(ctx, OpSigninVerify, "/signin/verify", "ApiSecret", c.APISecret, map[string]any{"token": tok}, &v); err != nil {
		return err
	}
	if !v.Success || v.UserID != userID || v.Type != typ || v.CredentialID != base64.StdEncoding.EncodeToString(credID) {
		return fmt.Errorf("signin/verify answered %+v for user %s: %w", v, userID, errCheck)
	}
	return nil
}
