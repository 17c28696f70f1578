package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/config"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/token"
)

// TestDevBanner: development mode prints the well-known keys, but never a
// management key the operator set.
func TestDevBanner(t *testing.T) {
	tests := []struct {
		key, want, never string
	}{
		{config.DevManagementKey, "ManagementKey: " + config.DevManagementKey, ""},
		{"operators-own-key-0123456789", "ManagementKey: the value of PASSWORDLESS_MANAGEMENT_KEY", "operators-own-key"},
	}
	for _, tt := range tests {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dev.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var out bytes.Buffer
		if err := seedDev(context.Background(), apps.New(st, token.NewSealer(st, nil), nil), tt.key, &out); err != nil {
			t.Fatal(err)
		}
		banner := out.String()
		if !strings.Contains(banner, tt.want) || !strings.Contains(banner, apps.DevSecret) ||
			(tt.never != "" && strings.Contains(banner, tt.never)) {
			t.Errorf("banner for key %q:\n%s", tt.key, banner)
		}
	}
}
