package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Times are stored as INTEGER unix microseconds in UTC. Integers sort and
// compare correctly in SQL, microseconds match PostgreSQL's timestamp
// precision (so both backends round-trip the same values), and unlike
// nanoseconds the range covers the zero time.Time.

func encTime(t time.Time) int64 { return t.UnixMicro() }

func decTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

// Durations are INTEGER microseconds, the precision of times and of
// PostgreSQL's interval; finer digits are dropped.

func encDuration(d time.Duration) int64 { return d.Microseconds() }

func decDuration(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// encDate stores a report date as midnight UTC of t's UTC day, so every
// time of one day addresses the same row. The zero time.Time is midnight
// UTC too, so Truncate counts whole UTC days.
func encDate(t time.Time) int64 { return encTime(t.UTC().Truncate(24 * time.Hour)) }

func encTimePtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: encTime(*t), Valid: true}
}

func decTimePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := decTime(v.Int64)
	return &t
}

func encInt64Ptr(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

func decInt64Ptr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	n := v.Int64
	return &n
}

func encBoolPtr(p *bool) sql.NullBool {
	if p == nil {
		return sql.NullBool{}
	}
	return sql.NullBool{Bool: *p, Valid: true}
}

func decBoolPtr(v sql.NullBool) *bool {
	if !v.Valid {
		return nil
	}
	b := v.Bool
	return &b
}

// encStrings stores a list as a JSON array; JSON keeps any character
// (commas included) intact.
func encStrings(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list) // []string always marshals
	return string(b)
}

// decStrings returns nil for an empty list, so nil and empty input read
// back the same.
func decStrings(s string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("decode list %q: %w", s, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}

// nonNilBytes keeps NOT NULL blob columns from receiving NULL for a nil
// slice.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// nullIfEmptyBytes stores an empty optional blob (the AAGUID) as NULL.
func nullIfEmptyBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullIfEmpty stores an empty optional string (an alias plaintext) as NULL.
func nullIfEmpty(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
