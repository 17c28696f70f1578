// Package passwordless is a client of the Passwordless.dev backend API
// (the endpoints authenticated with an ApiSecret), for this server and for
// Passwordless.dev itself. It uses only the standard library.
//
// A backend creates registration tokens for its signed-in users, hands
// them to the browser client (@passwordlessdev/passwordless-client), and
// verifies the tokens the browser client returns after a sign-in:
//
//	client := passwordless.New(os.Getenv("PASSWORDLESS_API_SECRET"),
//		passwordless.WithBaseURL("http://localhost:5701"))
//	user, err := client.VerifyToken(ctx, tokenFromBrowser)
//
// Every failure the server reports is a *Problem, which errors.As finds.
package passwordless

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// DefaultBaseURL is the address of the Passwordless.dev cloud API.
const DefaultBaseURL = "https://v4.passwordless.dev"

// Version is sent in the Client-Version header.
const Version = "0.1.0"

// maxResponseBytes bounds how much of a response is read, so a misbehaving
// server cannot make the client buffer without limit.
const maxResponseBytes = 16 << 20

// Client calls the backend API of one application. It is safe for
// concurrent use.
type Client struct {
	secret  string
	baseURL string
	http    *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL sets the server address (default DefaultBaseURL), e.g.
// "http://localhost:5701" for a self-hosted server. A path prefix such as
// "https://auth.example.com/api" is kept.
func WithBaseURL(baseURL string) Option {
	return func(c *Client) { c.baseURL = strings.TrimRight(baseURL, "/") }
}

// WithHTTPClient sets the HTTP client used for every request (default
// http.DefaultClient). Set timeouts, proxies and TLS settings on it.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// New returns a client that authenticates with apiSecret, the
// "appid:secret:…" key of the application. Keep it on the server: it must
// never reach a browser.
func New(apiSecret string, opts ...Option) *Client {
	c := &Client{secret: apiSecret, baseURL: DefaultBaseURL, http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL returns the server address the client talks to.
func (c *Client) BaseURL() string { return c.baseURL }

// get sends a GET with the query and decodes a JSON answer into out.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return c.do(ctx, http.MethodGet, path, nil, out)
}

// post sends in as JSON and decodes a JSON answer into out (nil: the
// answer's body is ignored).
func (c *Client) post(ctx context.Context, path string, in, out any) error {
	return c.do(ctx, http.MethodPost, path, in, out)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("passwordless: encoding the request to %s: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return fmt.Errorf("passwordless: %w", err)
	}
	req.Header.Set("ApiSecret", c.secret)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Client-Version", "go-"+Version)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("passwordless: %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("passwordless: reading the answer of %s %s: %w", method, path, err)
	}
	if res.StatusCode >= 300 {
		return newProblem(res, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("passwordless: decoding the answer of %s %s: %w", method, path, err)
	}
	return nil
}

// Problem is an error answer of the API: an RFC 7807 problem document, or,
// when the server sent none (an empty 404 or 429, a proxy's error page),
// the status with its standard text as the title.
type Problem struct {
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Type is a URL describing the kind of problem.
	Type string `json:"type"`
	// Title is a short, human-readable summary.
	Title string `json:"title"`
	// Detail explains this occurrence, when the server gives one.
	Detail string `json:"detail"`
	// ErrorCode is the machine-readable code ("invalid_token",
	// "alias_conflict", …); empty when the problem has none, as for
	// authentication failures and validation problems.
	ErrorCode string `json:"-"`
	// Errors maps request fields to their messages (validation problems).
	Errors map[string][]string `json:"errors"`
	// Extensions holds every other member, e.g. "credentialId" of an
	// "unknown_credential" problem.
	Extensions map[string]json.RawMessage `json:"-"`
}

// Error implements error.
func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "passwordless: %d", p.Status)
	if p.ErrorCode != "" {
		b.WriteString(" " + p.ErrorCode)
	}
	if p.Title != "" {
		b.WriteString(": " + p.Title)
	}
	if p.Detail != "" {
		b.WriteString(" (" + p.Detail + ")")
	}
	return b.String()
}

// IsProblem reports whether err is, or wraps, a Problem with the given
// error code.
func IsProblem(err error, errorCode string) bool {
	var p *Problem
	return errors.As(err, &p) && p.ErrorCode == errorCode
}

// newProblem reads the error answer res with body data.
func newProblem(res *http.Response, data []byte) *Problem {
	p := &Problem{Status: res.StatusCode}
	if isJSONMedia(res.Header.Get("Content-Type")) && json.Unmarshal(data, p) == nil {
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) == nil {
			if raw, ok := members["errorCode"]; ok {
				_ = json.Unmarshal(raw, &p.ErrorCode) // null leaves it empty
			}
			for _, known := range []string{"status", "type", "title", "detail", "errorCode", "errors"} {
				delete(members, known)
			}
			if len(members) > 0 {
				p.Extensions = members
			}
		}
		// The document's status, if any, must not contradict the response.
		p.Status = res.StatusCode
	} else if text := strings.TrimSpace(string(data)); text != "" && len(text) <= 1024 {
		p.Detail = text
	}
	if p.Title == "" {
		p.Title = http.StatusText(res.StatusCode)
	}
	return p
}

func isJSONMedia(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/problem+json" || mt == "application/json")
}
