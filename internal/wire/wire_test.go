package wire

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

func TestString(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantNil bool
		wantErr bool
	}{
		{`{"v":"abc"}`, "abc", false, false},
		{`{"v":123}`, "123", false, false},
		{`{"v":1.50}`, "1.50", false, false},
		{`{"v":true}`, "True", false, false},
		{`{"v":false}`, "False", false, false},
		{`{"v":null}`, "", true, false},
		{`{}`, "", true, false},
		{`{"v":[1,2]}`, "[1,2]", false, false},
		{`{"v":"\u00e9"}`, "é", false, false},
	}
	for _, tt := range tests {
		var got struct{ V *String }
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%s: err = %v", tt.in, err)
		}
		if (got.V == nil) != tt.wantNil {
			t.Fatalf("%s: nil = %v, want %v", tt.in, got.V == nil, tt.wantNil)
		}
		if got.V.String() != tt.want {
			t.Fatalf("%s: got %q, want %q", tt.in, got.V.String(), tt.want)
		}
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		in      string
		want    Int
		wantErr bool
	}{
		{`{"v":30}`, 30, false},
		{`{"v":"30"}`, 30, false},
		{`{"v":" 7 "}`, 7, false},
		{`{"v":null}`, 0, false},
		{`{"v":"x"}`, 0, true},
		{`{"v":1.5}`, 0, true},
		{`{"v":true}`, 0, true},
		{`{"v":99999999999999999999}`, 0, true},
	}
	for _, tt := range tests {
		var got struct{ V Int }
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%s: err = %v", tt.in, err)
		}
		if got.V != tt.want {
			t.Fatalf("%s: got %d, want %d", tt.in, got.V, tt.want)
		}
	}
}

// FuzzString feeds arbitrary JSON values to the lenient scalars. Besides not
// panicking, each must agree with encoding/json wherever both accept the
// value, and an accepted Int or Time must survive a round trip through its
// canonical text.
func FuzzString(f *testing.F) {
	for _, s := range []string{`"a"`, `1`, `true`, `null`, `[1]`, `{"a":1}`, `"\ud800"`, `"12"`, `" 7 "`, `1e3`, `-0`,
		`"9223372036854775808"`, `"2024-02-29T12:00:00Z"`, `"2024-02-29T12:00:00.1234567"`, `"2024-13-01"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		doc := []byte(`{"v":` + in + `}`)
		var s struct{ V *String }
		if json.Unmarshal(doc, &s) == nil && s.V != nil {
			var plain string
			if json.Unmarshal(doc, &struct{ V *string }{&plain}) == nil && string(*s.V) != plain {
				t.Fatalf("String(%s) = %q, encoding/json says %q", in, *s.V, plain)
			}
		}
		var n struct{ V Int }
		if json.Unmarshal(doc, &n) == nil {
			var again struct{ V Int }
			if err := json.Unmarshal([]byte(`{"v":"`+strconv.FormatInt(int64(n.V), 10)+`"}`), &again); err != nil || again.V != n.V {
				t.Fatalf("Int(%s) = %d does not round-trip: %d, %v", in, n.V, again.V, err)
			}
		}
		var tm struct{ V Time }
		if json.Unmarshal(doc, &tm) == nil {
			var again struct{ V Time }
			if err := json.Unmarshal([]byte(`{"v":"`+tm.V.Format(time.RFC3339Nano)+`"}`), &again); err != nil || !again.V.Equal(tm.V.Time) {
				t.Fatalf("Time(%s) = %v does not round-trip: %v, %v", in, tm.V, again.V, err)
			}
		}
	})
}
