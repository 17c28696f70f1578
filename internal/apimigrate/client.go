package apimigrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Retry says how the client retries requests the source could not answer
// at the moment: 408, 429 and 5xx answers, timeouts and failed connections.
type Retry struct {
	// Attempts is the number of tries per request, at least 1.
	Attempts int
	// BaseDelay is the wait before the second try; it doubles with every
	// further try, up to MaxDelay, and is jittered so that the workers do
	// not retry in step.
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter caps the wait a Retry-After header asks for.
	MaxRetryAfter time.Duration
}

// DefaultRetry gives up on a request after about a minute and a half.
var DefaultRetry = Retry{Attempts: 8, BaseDelay: 500 * time.Millisecond, MaxDelay: 30 * time.Second, MaxRetryAfter: 5 * time.Minute}

// maxBody bounds one response body. The largest answer is the user list
// (at most 2,000 short entries); a user's credentials are a few KiB.
const maxBody = 32 << 20

// RequestError is a request to the source that failed for good. Its text
// names the request, never the secret.
type RequestError struct {
	Request string // "GET /credentials/list?userId=…"
	Status  int    // 0 when there was no HTTP answer
	Err     error
}

func (e *RequestError) Error() string { return e.Request + ": " + e.Err.Error() }
func (e *RequestError) Unwrap() error { return e.Err }

// client reads the private API of the source with one app's secret.
type client struct {
	base    *url.URL
	secret  string
	http    *http.Client
	retry   Retry
	timeout time.Duration
	// onRetry is told about each retry, for the progress display.
	onRetry func(request string, wait time.Duration, cause string)
}

// newClient checks the base URL. The secret travels in a header on every
// request, so plain http is accepted only to this machine.
func newClient(baseURL, secret string, hc *http.Client, retry Retry, timeout time.Duration) (*client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("--from-api %q: want an http(s) URL such as https://v4.passwordless.dev", baseURL)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("--from-api %q: refusing to send the API secret over plain http to another machine; use https", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--from-api %q: the URL must not have a query or fragment", baseURL)
	}
	if hc == nil {
		hc = &http.Client{}
	}
	// A redirect would carry the ApiSecret header to wherever it points.
	c := *hc
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		return fmt.Errorf("the source redirected to %s; pass the final URL with --from-api", req.URL.Redacted())
	}
	if retry.Attempts < 1 {
		retry.Attempts = 1
	}
	return &client{base: u, secret: secret, http: &c, retry: retry, timeout: timeout}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// get reads path?query into v, retrying what may pass. A 4xx answer, a
// body that is not the JSON asked for, or a request still failing after
// the last try is a *RequestError.
func (c *client) get(ctx context.Context, path string, query url.Values, v any) error {
	return c.getOr(ctx, path, query, v, nil)
}

// getOr is get, with accept deciding about answers other than 200 first:
// it returns true to take the answer as a success (v is left alone).
func (c *client) getOr(ctx context.Context, path string, query url.Values, v any, accept func(status int, p problemBody) bool) error {
	name := "GET " + path
	if len(query) > 0 {
		name += "?" + query.Encode()
	}
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = query.Encode()
	for attempt := 1; ; attempt++ {
		status, body, header, err := c.once(ctx, u.String())
		if ctx.Err() != nil {
			return ctx.Err()
		}
		retryable, cause := false, ""
		switch {
		case err != nil:
			retryable, cause = true, err.Error()
		case status == http.StatusOK:
			if err := decodeJSON(header, body, v); err != nil {
				return &RequestError{Request: name, Status: status, Err: err}
			}
			return nil
		case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
			retryable, cause = true, describeStatus(status, body)
		default:
			p := parseProblem(body)
			if accept != nil && accept(status, p) {
				return nil
			}
			return &RequestError{Request: name, Status: status, Err: statusError(status, body)}
		}
		if !retryable || attempt >= c.retry.Attempts {
			if err != nil {
				return &RequestError{Request: name, Err: fmt.Errorf("the source did not answer (%d tries): %w", attempt, err)}
			}
			return &RequestError{Request: name, Status: status, Err: fmt.Errorf("gave up after %d tries: %s", attempt, cause)}
		}
		wait := c.backoff(attempt)
		if ra, ok := retryAfter(header, time.Now()); ok && err == nil {
			wait = min(ra, c.retry.MaxRetryAfter)
		}
		if c.onRetry != nil {
			c.onRetry(name, wait, cause)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// once makes one request with its own timeout and reads the whole body.
func (c *client) once(ctx context.Context, u string) (int, []byte, http.Header, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("ApiSecret", c.secret)
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, scrubURL(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(body) > maxBody {
		return res.StatusCode, nil, nil, fmt.Errorf("the answer is longer than %d MiB", maxBody>>20)
	}
	return res.StatusCode, body, res.Header, nil
}

// scrubURL drops the URL from a transport error (the request is named by
// the caller) and says "timed out" plainly.
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return errors.New("timed out")
		}
		return ue.Err
	}
	return err
}

func (c *client) backoff(attempt int) time.Duration {
	d := c.retry.BaseDelay << (attempt - 1)
	if d <= 0 || d > c.retry.MaxDelay {
		d = c.retry.MaxDelay
	}
	// Between half and all of d.
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// decodeJSON decodes a 200 answer, which must be JSON.
func decodeJSON(h http.Header, body []byte, v any) error {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return fmt.Errorf("the source answered %s, not JSON (%s); is --from-api the API's address?", orNone(mt), snippet(body))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("the answer is not the expected JSON: %v (%s)", err, snippet(body))
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "no content type"
	}
	return s
}

// problemBody is the part of a problem document the messages use.
type problemBody struct {
	Title     string `json:"title"`
	Detail    string `json:"detail"`
	ErrorCode string `json:"errorCode"`
}

func parseProblem(body []byte) problemBody {
	var p problemBody
	_ = json.Unmarshal(body, &p)
	return p
}

func statusError(status int, body []byte) error {
	msg := describeStatus(status, body)
	switch status {
	case http.StatusUnauthorized:
		return fmt.Errorf("%s: the source refused the API secret; check --api-secret (the app's ApiSecret, not its public ApiKey) and that its key is not locked", msg)
	case http.StatusNotFound:
		return fmt.Errorf("%s: is --from-api the API's address (for a self-hosted server, including its /api prefix)?", msg)
	}
	return errors.New(msg)
}

// describeStatus renders a status with what its problem document says.
func describeStatus(status int, body []byte) string {
	msg := fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
	p := parseProblem(body)
	for _, s := range []string{p.ErrorCode, p.Title, p.Detail} {
		if s != "" {
			msg += ": " + s
		}
	}
	return msg
}

// snippet shows the start of a body that could not be used.
func snippet(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	if s == "" {
		return "empty body"
	}
	return strconv.Quote(s)
}
