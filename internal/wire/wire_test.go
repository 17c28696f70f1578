package wire

import (
	"encoding/json"
	"testing"
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

func FuzzString(f *testing.F) {
	for _, s := range []string{`"a"`, `1`, `true`, `null`, `[1]`, `{"a":1}`, `"\ud800"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var s struct{ V *String }
		_ = json.Unmarshal([]byte(`{"v":`+in+`}`), &s)
		var n struct{ V Int }
		_ = json.Unmarshal([]byte(`{"v":`+in+`}`), &n)
	})
}
