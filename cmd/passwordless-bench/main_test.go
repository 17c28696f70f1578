package main

import (
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	base := []string{"--url", "http://127.0.0.1:5701"}
	tests := []struct {
		args    []string
		wantErr string
	}{
		{nil, ""},
		{[]string{"--signin-mode", "alias"}, ""},
		{[]string{"--signin-mode", "discoverable", "--alg", "EdDSA"}, ""},
		{[]string{"--signin-mode", "d"}, "--signin-mode"},
		{[]string{"--signin-mode", "cover"}, "--signin-mode"},
		{[]string{"--signin-mode", ""}, "--signin-mode"},
		{[]string{"--alg", "RS256"}, "--alg"},
		{[]string{"--scenario", "both"}, "--scenario"},
		{[]string{"--spawn"}, "--spawn"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		_, err := parseFlags(append(append([]string(nil), base...), tt.args...))
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%q: %v", tt.args, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%q: error %v, want one about %s", tt.args, err, tt.wantErr)
		}
	}
}
