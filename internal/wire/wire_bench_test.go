package wire_test

import (
	"encoding/json"
	"testing"

	"github.com/passwordless-oss/server/internal/wire"
)

// A register/token body: the request with the most lenient fields.
var benchTokenBody = []byte(`{"userId":"0b6f3f8e-5c1d-4b59-9a53-1f2d3c4b5a69","username":"alice@example.com",` +
	`"displayName":"Alice","aliases":["alice@example.com","alice"],"discoverable":true,"userVerification":"preferred",` +
	`"expiresAt":"2030-01-01T00:00:00Z"}`)

type benchTokenRequest struct {
	UserID           *wire.String   `json:"userId"`
	Username         *wire.String   `json:"username"`
	DisplayName      *wire.String   `json:"displayName"`
	Aliases          []*wire.String `json:"aliases"`
	Discoverable     *bool          `json:"discoverable"`
	UserVerification *wire.String   `json:"userVerification"`
	ExpiresAt        *wire.Time     `json:"expiresAt"`
}

type plainTokenRequest struct {
	UserID           *string   `json:"userId"`
	Username         *string   `json:"username"`
	DisplayName      *string   `json:"displayName"`
	Aliases          []*string `json:"aliases"`
	Discoverable     *bool     `json:"discoverable"`
	UserVerification *string   `json:"userVerification"`
	ExpiresAt        *string   `json:"expiresAt"`
}

// BenchmarkDecodeLenient decodes with the lenient wire types;
// BenchmarkDecodePlain is the same body into plain Go types, the baseline.
func BenchmarkDecodeLenient(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var r benchTokenRequest
		if err := json.Unmarshal(benchTokenBody, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePlain(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var r plainTokenRequest
		if err := json.Unmarshal(benchTokenBody, &r); err != nil {
			b.Fatal(err)
		}
	}
}
