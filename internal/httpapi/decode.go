package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/passwordless-oss/server/internal/problem"
)

const (
	// maxBodyBytes bounds request bodies; WebAuthn responses are a few KiB.
	maxBodyBytes = 1 << 20
	// bodyReadTimeout bounds how long a client may take to send a body,
	// well below the server's overall read timeout.
	bodyReadTimeout = 10 * time.Second
)

// readBody reads the whole request body into memory (at most
// maxBodyBytes, within bodyReadTimeout) and replaces r.Body with it.
func readBody(w http.ResponseWriter, r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	// Not every ResponseWriter supports deadlines (test recorders don't);
	// the server's ReadTimeout still applies then.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return problem.New(http.StatusRequestEntityTooLarge, "", fmt.Sprintf("The request body is larger than %d bytes.", maxBodyBytes))
	}
	if err != nil {
		return &problem.Problem{Status: http.StatusRequestTimeout, Title: "The request body could not be read in time.", NoCode: true}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}

// decode reads a JSON request body (already in memory, see readBody) into
// v. It requires a JSON content type (415), a body (400) unless optional is
// set, and valid JSON of the right shape (400).
func decode(r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return problem.Malformed("The request body could not be read.")
	}
	// A JSON null is no body: decoding it would yield the zero request.
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || string(trimmed) == "null" {
		if optional {
			return nil
		}
		if !isJSON(r) {
			return unsupportedMediaType()
		}
		return problem.Malformed("A request body is required.")
	}
	if !isJSON(r) {
		return unsupportedMediaType()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return problem.Malformed(jsonErrorTitle(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.Malformed("The request body contains more than one JSON value.")
	}
	return nil
}

func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func unsupportedMediaType() error {
	return &problem.Problem{
		Status: http.StatusUnsupportedMediaType,
		Title:  "The request body must be JSON (Content-Type: application/json).",
		Type:   "https://tools.ietf.org/html/rfc9110#section-15.5.16",
		NoCode: true,
	}
}

// jsonErrorTitle explains a decoding failure without Go type names.
func jsonErrorTitle(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("The JSON value of '%s' has the wrong type (got %s).", typeErr.Field, typeErr.Value)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("The request body has the wrong JSON type (got %s).", typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "The request body is not valid JSON (it ends too early)."
	}
	return "The request body could not be read as JSON: " + err.Error()
}

// query returns a query parameter matched case-insensitively by name (the
// .NET and Node SDKs send "userid", others "userId"), and whether it was
// present.
func query(r *http.Request, name string) (string, bool) {
	vs := queryValues(r, name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// queryValues returns every value of a (repeatable) query parameter, the
// name matched case-insensitively.
func queryValues(r *http.Request, name string) []string {
	var out []string
	for k, vs := range r.URL.Query() {
		if strings.EqualFold(k, name) {
			out = append(out, vs...)
		}
	}
	return out
}
