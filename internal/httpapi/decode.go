package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/passwordless-oss/server/internal/problem"
)

// decode reads a JSON request body (already in memory, see readBody) into
// v. It requires a JSON content type (415), a body (400) unless optional is
// set, and valid JSON of the right shape (400).
func decode(r *http.Request, v any, optional bool) error {
	body, err := bodyBytes(r)
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
	// Unmarshal decodes the body in place; only a body it refuses goes
	// through a Decoder, which tells a second JSON value from bad syntax.
	if err := json.Unmarshal(body, v); err != nil {
		return decodeError(body, v)
	}
	// The escape is the only way a NUL gets into a JSON string, so the
	// exact check runs only for the rare body that holds it.
	if bytes.Contains(body, []byte(`\u0000`)) && holdsNUL(body) {
		return problem.Malformed("Strings in the request body must not contain the NUL character (\\u0000).")
	}
	return nil
}

// decodeError explains why body does not decode into v.
func decodeError(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return problem.Malformed(jsonErrorTitle(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.Malformed("The request body contains more than one JSON value.")
	}
	return problem.Malformed("The request body could not be read as JSON.")
}

// holdsNUL reports whether a string value of the JSON document contains a
// NUL. Such strings are refused on every store: PostgreSQL cannot store
// them, and no identifier or name needs one. Member names are not checked,
// since unknown members are ignored anyway.
func holdsNUL(body []byte) bool {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			return strings.IndexByte(x, 0) >= 0
		case []any:
			return slices.ContainsFunc(x, walk)
		case map[string]any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(doc)
}

// isJSONNull reports whether the body is the JSON literal null.
func isJSONNull(r *http.Request) bool {
	body, err := bodyBytes(r)
	return err == nil && string(bytes.TrimSpace(body)) == "null"
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
			for _, v := range vs {
				out = append(out, storable(v))
			}
		}
	}
	return out
}

// storable makes a query value safe to compare with stored text, the way
// JSON decoding treats body strings: bytes that are not UTF-8, and NULs,
// become U+FFFD (PostgreSQL refuses both, even in a lookup).
func storable(v string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "\uFFFD")
}
