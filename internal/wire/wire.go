// Package wire holds the lenient JSON scalar types that reproduce how the
// original server binds request bodies (api-spec.md §1.2): a string field
// also accepts a number or boolean (its text), and a number field also
// accepts a string holding a number. Field names are matched
// case-insensitively by encoding/json already.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// String is a string that also accepts JSON numbers, booleans, objects and
// arrays, taking their text (booleans as "True"/"False", like .NET). Use
// *String where JSON null must be told apart from a value.
type String string

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("empty value")
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = String(v)
	case bytes.Equal(b, []byte("null")):
		// A null into a non-pointer String leaves it empty.
	case bytes.Equal(b, []byte("true")):
		*s = "True"
	case bytes.Equal(b, []byte("false")):
		*s = "False"
	default:
		// Numbers keep their JSON text; objects and arrays their raw text.
		*s = String(b)
	}
	return nil
}

// String returns the value of a possibly-nil *String ("" for nil).
func (s *String) String() string {
	if s == nil {
		return ""
	}
	return string(*s)
}

// Int is an integer that also accepts a JSON string holding an integer.
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	text := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		text = strings.TrimSpace(text)
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return errors.New("the value is not an integer")
	}
	*n = Int(v)
	return nil
}

// Time is a date-time that accepts RFC 3339 and, like .NET, an ISO 8601
// date-time without a zone designator (taken as UTC).
type Time struct{ time.Time }

var zonelessLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("the value is not a date-time string")
	}
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t.Time = v.UTC()
		return nil
	}
	for _, layout := range zonelessLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return errors.New("the value is not a valid date-time")
}

// FormatZ renders an instant the way the original server writes times that
// never went through its database: UTC, up to 7 fractional digits, "Z".
func FormatZ(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.9999999Z")
}

// FormatStored renders a time the way the original server writes times
// read back from its database: UTC without a zone designator.
func FormatStored(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.9999999")
}
