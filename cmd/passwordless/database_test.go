package main

import (
	"bytes"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/store/postgres/pgtest"
)

// TestMigrateKeywordValueForm gives migrate a libpq keyword/value string:
// it must reach PostgreSQL, not create a SQLite file of that name.
func TestMigrateKeywordValueForm(t *testing.T) {
	dsn := keywordForm(t, pgtest.Connect(t).CreateDB(t))
	dir := t.TempDir()
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	if err := run([]string{"migrate", "--database", dsn}, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("migrate %q: %v (%s)", dsn, err, errOut.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("migrate created %q in the working directory: the keyword/value form was taken for a SQLite path", e.Name())
	}
}

// keywordForm turns a test database URL into the keyword/value form.
func keywordForm(t *testing.T, u string) string {
	t.Helper()
	if !strings.Contains(u, "://") {
		return u // the test server is configured in that form already
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	pairs := []string{"host=" + p.Hostname(), "dbname=" + strings.TrimPrefix(p.Path, "/")}
	if port := p.Port(); port != "" {
		pairs = append(pairs, "port="+port)
	}
	if name := p.User.Username(); name != "" {
		pairs = append(pairs, "user="+name)
	}
	if pw, ok := p.User.Password(); ok {
		pairs = append(pairs, "password='"+strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw)+"'")
	}
	for k, vs := range p.Query() {
		pairs = append(pairs, k+"="+vs[0])
	}
	return strings.Join(pairs, " ")
}
