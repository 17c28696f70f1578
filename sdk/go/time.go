package passwordless

import (
	"encoding/json"
	"fmt"
	"time"
)

// Time is a timestamp of an API answer. The API writes times in several
// styles (with "Z", with an offset, without a zone for values read back
// from its database, which are UTC, and dates alone in reports); Time reads
// them all as UTC. A JSON null leaves it zero.
type Time struct{ time.Time }

// layouts are tried in order; the zoneless ones are UTC.
var layouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	time.DateOnly,
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("passwordless: a time must be a string: %w", err)
	}
	for _, layout := range layouts {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("passwordless: %q is not a time", s)
}

// MarshalJSON implements json.Marshaler: RFC 3339 in UTC, null when zero.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// timeSpan renders d the way the API reads durations of sign-in purposes:
// "[d.]hh:mm:ss".
func timeSpan(d time.Duration) string {
	d = d.Round(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	if days > 0 {
		return fmt.Sprintf("%d.%02d:%02d:%02d", days, h, m, s)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
}
