// Package pgtest gives tests a fresh PostgreSQL database of their own.
//
// The server is PASSWORDLESS_TEST_POSTGRES (default: postgres@127.0.0.1:5432,
// trust authentication); "off" skips the tests, and an unreachable server
// skips them too. Under CI=true both fail them instead, so that CI cannot
// pass without running them.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// EnvURL names the variable holding the test server's URL.
const EnvURL = "PASSWORDLESS_TEST_POSTGRES"

const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Server is a connection to the test server's maintenance database.
type Server struct {
	URL   string
	admin *pgxpool.Pool
}

// Connect connects to the test server, or skips t (fails it under CI).
func Connect(t testing.TB) *Server {
	t.Helper()
	s, err := Dial(context.Background())
	if err != nil {
		unavailable(t, err.Error())
	}
	t.Cleanup(s.Close)
	return s
}

// Dial connects to the test server; the caller closes it. Tests use
// Connect, which skips them when there is no server.
func Dial(ctx context.Context) (*Server, error) {
	u := os.Getenv(EnvURL)
	if u == "off" {
		return nil, errors.New(EnvURL + "=off")
	}
	if u == "" {
		u = defaultURL
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	admin, err := pgxpool.New(ctx, u)
	if err == nil {
		if err = admin.Ping(ctx); err != nil {
			admin.Close()
		}
	}
	if err != nil {
		return nil, errors.New("PostgreSQL test server unreachable (set " + EnvURL + " to its URL, or to \"off\"): " + err.Error())
	}
	return &Server{URL: u, admin: admin}, nil
}

// Close disconnects from the test server.
func (s *Server) Close() { s.admin.Close() }

// unavailable skips t, or fails it under CI=true. "off" fails there too:
// it is chosen here rather than unsetting the variable in .ci/run because
// it also holds for CI set up any other way, and an inherited "off" then
// shows up as a failure instead of a green run that tested no PostgreSQL.
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (not allowed under CI=true)")
	}
	t.Skip(msg)
}

// CreateDB creates an empty database, dropped again (connections and all)
// when t ends, and returns its connection string.
func (s *Server) CreateDB(t testing.TB) string {
	t.Helper()
	name, u, err := s.NewDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.DropDB(ctx, name); err != nil {
			t.Error(err)
		}
	})
	return u
}

// NewDB creates an empty database and returns its name and connection
// string. The caller drops it (DropDB); CreateDB is NewDB for one test.
func (s *Server) NewDB(ctx context.Context) (name, url string, err error) {
	var b [8]byte
	rand.Read(b[:])
	name = "pwltest_" + hex.EncodeToString(b[:])
	if _, err := s.admin.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		return "", "", fmt.Errorf("create test database: %w", err)
	}
	if url, err = WithDatabase(s.URL, name); err != nil {
		s.DropDB(ctx, name)
		return "", "", err
	}
	return name, url, nil
}

// DropDB drops a database made by NewDB, connections and all.
func (s *Server) DropDB(ctx context.Context, name string) error {
	if _, err := s.admin.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop test database %s: %w", name, err)
	}
	return nil
}

// Exec runs a statement on the maintenance database.
func (s *Server) Exec(ctx context.Context, sql string) error {
	_, err := s.admin.Exec(ctx, sql)
	return err
}

// WithDatabase returns the connection string u pointed at database name.
func WithDatabase(u, name string) (string, error) {
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		parsed, err := url.Parse(u)
		if err != nil {
			return "", err
		}
		parsed.Path = "/" + name
		parsed.RawPath = ""
		return parsed.String(), nil
	}
	// keyword/value form: a later keyword overrides an earlier one.
	return u + " dbname=" + name, nil
}
