package config

import (
	"strings"
	"testing"
)

func TestRedactDSN(t *testing.T) {
	tests := []struct {
		name, in, want string
		secrets        []string // must not appear in the output
	}{
		{"sqlite path", "passwordless.db", "passwordless.db", nil},
		{"sqlite path with password in its name", "/data/password=x.db", "/data/password=x.db", nil},
		{"url without password", "postgres://u@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?sslmode=disable", nil},
		{"url user password", "postgres://u:secretpw@h/db", "postgres://u:***@h/db", []string{"secretpw"}},
		{"url password with @", "postgres://u:se%40cret@h/db", "postgres://u:***@h/db", []string{"se%40cret", "cret"}},
		{"url query password", "postgres://u@h/db?sslmode=require&password=qsecret&pool_max_conns=20",
			"postgres://u@h/db?sslmode=require&password=***&pool_max_conns=20", []string{"qsecret"}},
		{"url both", "postgresql://u:one@h/db?password=two", "postgresql://u:***@h/db?password=***", []string{"one", "two"}},
		{"url escaped query key", "postgres://h/db?pass%77ord=esc", "postgres://h/db?pass%77ord=***", []string{"esc"}},
		{"url ssl key password", "postgres://h/db?sslpassword=keypw", "postgres://h/db?sslpassword=***", []string{"keypw"}},
		{"unparsable url", "postgres://u:pa%zzss@h/db", "postgres://*** (unparsable URL)", []string{"pa%zzss"}},
		{"keyword form", "host=db.internal dbname=pwl user=pwl password=kvsecret sslmode=verify-full",
			"host=db.internal dbname=pwl user=pwl password=*** sslmode=verify-full", []string{"kvsecret"}},
		{"keyword form quoted", `host=h password='a b\'c' dbname=x`, `host=h password=*** dbname=x`, []string{"a b", `\'c`}},
		{"keyword form spaces around =", "host = h password = spaced port=5432", "host = h password = *** port=5432", []string{"spaced"}},
		{"keyword form escaped space", `host=h password=a\ b`, `host=h password=***`, []string{`a\ b`, " b"}},
		{"keyword form unterminated quote", "host=h password='open dbname=x", "host=h password=***", []string{"open"}},
		{"keyword form ssl key password", "host=h sslpassword=keypw", "host=h sslpassword=***", []string{"keypw"}},
		{"keyword form trailing garbage", "host=h junk password", "host=h ***", []string{"junk password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactDSN(tt.in)
			if got != tt.want {
				t.Errorf("RedactDSN(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, s := range tt.secrets {
				if strings.Contains(got, s) {
					t.Errorf("RedactDSN(%q) = %q leaks %q", tt.in, got, s)
				}
			}
		})
	}
}

func TestIsPostgresDSN(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"postgres://u@h/db", true},
		{"postgresql://u@h/db", true},
		{"host=127.0.0.1 dbname=foo", true},
		{"dbname=foo", true},
		{"  user=postgres host=/var/run/postgresql", true},
		{"host = h dbname = x", true},
		{"sslmode=disable host=h", true},
		{"passwordless.db", false},
		{"/var/lib/passwordless/data.db", false},
		{"./host=1.db", false},
		{"host", false},
		{"hosts=h", false},
		{"Host=h", false},
		{"file=x.db", false},
		{"postgres.db", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsPostgresDSN(tt.in); got != tt.want {
			t.Errorf("IsPostgresDSN(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if got := (Config{Database: tt.in}).IsPostgres(); got != tt.want {
			t.Errorf("Config{Database: %q}.IsPostgres() = %v, want %v", tt.in, got, tt.want)
		}
	}
}
