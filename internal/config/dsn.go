package config

import (
	"net/url"
	"strings"
)

// libpqKeywords are the connection parameters of libpq's keyword/value
// form, plus the pool settings pgx reads from the same string. A database
// setting is taken for that form only when it starts with one of them, so
// that a file path containing '=' still means SQLite.
var libpqKeywords = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true,
	"password": true, "passfile": true, "channel_binding": true, "connect_timeout": true,
	"client_encoding": true, "options": true, "application_name": true,
	"fallback_application_name": true, "keepalives": true, "keepalives_idle": true,
	"keepalives_interval": true, "keepalives_count": true, "tcp_user_timeout": true,
	"replication": true, "gssencmode": true, "sslmode": true, "requiressl": true,
	"sslcompression": true, "sslcert": true, "sslkey": true, "sslpassword": true,
	"sslcertmode": true, "sslrootcert": true, "sslcrl": true, "sslcrldir": true,
	"sslsni": true, "requirepeer": true, "ssl_min_protocol_version": true,
	"ssl_max_protocol_version": true, "krbsrvname": true, "gsslib": true,
	"gssdelegation": true, "service": true, "target_session_attrs": true,
	"load_balance_hosts": true, "pool_max_conns": true, "pool_min_conns": true,
	"pool_max_conn_lifetime": true, "pool_max_conn_idle_time": true,
	"pool_health_check_period": true, "default_query_exec_mode": true,
}

// secretKeywords are the parameters whose values never reach the log.
var secretKeywords = map[string]bool{"password": true, "sslpassword": true}

const redacted = "***"

// IsPostgresDSN reports whether a database setting names a PostgreSQL
// server: a postgres:// or postgresql:// URL, or libpq's keyword/value
// form ("host=… dbname=…").
func IsPostgresDSN(s string) bool {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return true
	}
	key, rest := keyword(s[skipSpace(s, 0):])
	return libpqKeywords[key] && strings.HasPrefix(rest[skipSpace(rest, 0):], "=")
}

// keyword splits a leading run of [a-z0-9_] off s.
func keyword(s string) (string, string) {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
		i++
	}
	return s[:i], s[i:]
}

// RedactDSN hides the secrets of a database setting: the password of a
// URL's user information, password parameters in its query string, and
// password values of the keyword/value form. A SQLite path is returned
// as it is.
func RedactDSN(s string) string {
	if strings.Contains(s, "://") {
		return redactURL(s)
	}
	if IsPostgresDSN(s) {
		return redactKeywords(s)
	}
	return s
}

// redactURL parses the URL as pgx will. One that does not parse is
// hidden whole: the server refuses it anyway, and where its secret is
// cannot be told.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		scheme, _, _ := strings.Cut(s, "://")
		return scheme + "://" + redacted + " (unparsable URL)"
	}
	userinfo := ""
	if _, ok := u.User.Password(); ok {
		// Set by hand: net/url would escape the asterisks.
		userinfo = url.User(u.User.Username()).String() + ":" + redacted + "@"
		u.User = nil
	}
	if u.RawQuery != "" {
		pairs := strings.Split(u.RawQuery, "&")
		for i, p := range pairs {
			k, _, _ := strings.Cut(p, "=")
			if name, err := url.QueryUnescape(k); err != nil || secretKeywords[name] {
				pairs[i] = k + "=" + redacted
			}
		}
		u.RawQuery = strings.Join(pairs, "&")
	}
	scheme, rest, _ := strings.Cut(u.String(), "://")
	return scheme + "://" + userinfo + rest
}

// redactKeywords replaces the secret values of a keyword/value string,
// read with libpq's rules: whitespace between pairs and optionally around
// '=', values either bare or in single quotes, backslash escaping the next
// character in both. An unterminated value runs to the end, so a
// malformed string is over- rather than under-redacted.
func redactKeywords(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		start := i
		i = skipSpace(s, i)
		key, _ := keyword(s[i:])
		i = skipSpace(s, i+len(key))
		if i >= len(s) || s[i] != '=' || key == "" {
			// Not a pair: keep the rest, unless it may hold a secret.
			if strings.Contains(s[start:], "password") {
				b.WriteString(" " + redacted)
			} else {
				b.WriteString(s[start:])
			}
			return b.String()
		}
		i = skipSpace(s, i+1)
		end := valueEnd(s, i)
		b.WriteString(s[start:i])
		if secretKeywords[key] {
			b.WriteString(redacted)
		} else {
			b.WriteString(s[i:end])
		}
		i = end
	}
	return b.String()
}

func skipSpace(s string, i int) int {
	for i < len(s) && strings.IndexByte(" \t\n\r\f\v", s[i]) >= 0 {
		i++
	}
	return i
}

// valueEnd returns where the value starting at s[i] ends.
func valueEnd(s string, i int) int {
	quoted := i < len(s) && s[i] == '\''
	if quoted {
		i++
	}
	for i < len(s) {
		switch c := s[i]; {
		case c == '\\':
			i += 2
			continue
		case quoted && c == '\'':
			return i + 1
		case !quoted && strings.IndexByte(" \t\n\r\f\v", c) >= 0:
			return i
		}
		i++
	}
	return len(s)
}
