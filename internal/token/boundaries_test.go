package token_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/token"
)

// TestOpenLengthBoundaries checks the two length checks of Open at their
// edges: a value that is only the kind's prefix is a malformed token, not
// a token of another kind, and a body exactly as long as key id, nonce and
// tag is well formed (and so merely invalid) while one byte less is not.
func TestOpenLengthBoundaries(t *testing.T) {
	s := token.NewSealer(openStore(t), time.Now)
	const minBody = 4 + 12 + 16 // key id, nonce, GCM tag
	b64 := func(n int) string { return base64.RawURLEncoding.EncodeToString(make([]byte, n)) }
	for _, tt := range []struct {
		name, tok, code string
	}{
		{"only the prefix", string(token.Verify), "invalid_token_format"},
		{"the prefix, upper case", strings.ToUpper(string(token.Verify)), "invalid_token_format"},
		{"one byte short of the minimum", string(token.Verify) + b64(minBody-1), "invalid_token_format"},
		{"the minimum length", string(token.Verify) + b64(minBody), "invalid_token"},
		{"shorter than the prefix", string(token.Verify)[:3], "invalid_token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var p payload
			tok := tt.tok
			wantCode(t, s.Open(t.Context(), "app1", token.Verify, &tok, &p), tt.code)
		})
	}
}
