// Package consolesession keeps the admin console's sessions in the store,
// so that every instance sharing the database agrees on which are alive: a
// sign-out, an administrator ending one of their sessions elsewhere, or
// "sign out everywhere" holds on every instance at once and survives a
// restart.
//
// The cookie carries a random secret (sealed with the rest of the cookie);
// the store keeps only its SHA-256, the session's handle. Checking a
// session is one primary-key read per request; its last-seen time (and
// with it the idle expiry) is written at most once per TouchEvery, so
// browsing the console does not turn every page view into a write.
package consolesession

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/passwordless-oss/server/internal/store"
)

// Store is what sessions need of the store.
type Store interface {
	AddConsoleSession(ctx context.Context, s store.ConsoleSession) error
	GetConsoleSession(ctx context.Context, id string) (store.ConsoleSession, error)
	TouchConsoleSession(ctx context.Context, id string, seen, expiresAt time.Time) error
	ListConsoleSessions(ctx context.Context, userID string) ([]store.ConsoleSession, error)
	DeleteConsoleSession(ctx context.Context, userID, id string) error
	DeleteConsoleSessions(ctx context.Context, userID string) error
	PurgeConsoleSessionsBefore(ctx context.Context, t time.Time) error
}

// TouchEvery is how stale a session's stored last-seen time may get
// before a request writes it again. The idle expiry moves with it, so a
// session may end up to TouchEvery earlier than its idle timeout says.
const TouchEvery = time.Minute

// maxUserAgent bounds the stored User-Agent header.
const maxUserAgent = 512

// ErrEnded means the session does not exist (any more): signed out,
// ended from another session, expired, or never started.
var ErrEnded = errors.New("consolesession: the session has ended")

// Session is a live session as the console shows it.
type Session struct {
	// Handle names the session in forms and in the store; it is not the
	// secret and cannot be used to sign in.
	Handle     string
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	UserAgent  string
	Address    string
}

// Manager starts, checks and ends sessions.
type Manager struct {
	st     Store
	idle   time.Duration
	maxAge time.Duration
	now    func() time.Time
}

// New returns a Manager: a session ends after idle without a request, and
// maxAge after it started whatever its use. now may be nil (time.Now).
func New(st Store, idle, maxAge time.Duration, now func() time.Time) *Manager {
	if now == nil {
		now = time.Now
	}
	return &Manager{st: st, idle: idle, maxAge: maxAge, now: now}
}

// Handle is the stored name of the session whose cookie carries secret.
func Handle(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Start records a new session of the administrator userID and returns its
// secret, for the cookie.
func (m *Manager) Start(ctx context.Context, userID, userAgent, address string) (string, error) {
	b := make([]byte, 32)
	rand.Read(b)
	secret := hex.EncodeToString(b)
	now := m.now().UTC()
	err := m.st.AddConsoleSession(ctx, store.ConsoleSession{
		ID: Handle(secret), UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: m.expiry(now, now),
		UserAgent: cleanText(userAgent, maxUserAgent), Address: cleanText(address, 64),
	})
	if err != nil {
		return "", fmt.Errorf("start console session: %w", err)
	}
	return secret, nil
}

// expiry is when a session created at created and last seen at seen ends.
func (m *Manager) expiry(created, seen time.Time) time.Time {
	idle, abs := seen.Add(m.idle), created.Add(m.maxAge)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

// Check returns the live session whose cookie carries secret, or ErrEnded.
// It records the request as the session's last use when the stored one is
// older than TouchEvery.
func (m *Manager) Check(ctx context.Context, secret string) (Session, error) {
	if secret == "" {
		return Session{}, ErrEnded
	}
	row, err := m.st.GetConsoleSession(ctx, Handle(secret))
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrEnded
	}
	if err != nil {
		return Session{}, fmt.Errorf("check console session: %w", err)
	}
	now := m.now().UTC()
	if !now.Before(row.ExpiresAt) {
		return Session{}, ErrEnded
	}
	if now.Sub(row.LastSeenAt) >= TouchEvery {
		row.LastSeenAt, row.ExpiresAt = now, m.expiry(row.CreatedAt, now)
		err := m.st.TouchConsoleSession(ctx, row.ID, row.LastSeenAt, row.ExpiresAt)
		if errors.Is(err, store.ErrNotFound) {
			return Session{}, ErrEnded // ended by another request meanwhile
		}
		if err != nil {
			return Session{}, fmt.Errorf("touch console session: %w", err)
		}
	}
	return view(row), nil
}

// List returns the administrator's live sessions, newest first.
func (m *Manager) List(ctx context.Context, userID string) ([]Session, error) {
	rows, err := m.st.ListConsoleSessions(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list console sessions: %w", err)
	}
	now := m.now()
	out := make([]Session, 0, len(rows))
	for _, r := range rows {
		if now.Before(r.ExpiresAt) {
			out = append(out, view(r))
		}
	}
	return out, nil
}

// End ends one session of the administrator, named by its handle;
// ErrEnded if they have no such session.
func (m *Manager) End(ctx context.Context, userID, handle string) error {
	err := m.st.DeleteConsoleSession(ctx, userID, handle)
	if errors.Is(err, store.ErrNotFound) {
		return ErrEnded
	}
	if err != nil {
		return fmt.Errorf("end console session: %w", err)
	}
	return nil
}

// EndAll ends every session of the administrator.
func (m *Manager) EndAll(ctx context.Context, userID string) error {
	if err := m.st.DeleteConsoleSessions(ctx, userID); err != nil {
		return fmt.Errorf("end console sessions: %w", err)
	}
	return nil
}

// PurgeStore is the part of Store that Purge uses.
type PurgeStore interface {
	PurgeConsoleSessionsBefore(ctx context.Context, t time.Time) error
}

// Purge removes the rows of sessions that ended before now; the
// maintenance job runs it.
func Purge(ctx context.Context, st PurgeStore, now time.Time) error {
	return st.PurgeConsoleSessionsBefore(ctx, now)
}

func view(r store.ConsoleSession) Session {
	return Session{Handle: r.ID, UserID: r.UserID, CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt,
		ExpiresAt: r.ExpiresAt, UserAgent: r.UserAgent, Address: r.Address}
}

// ClientAddress is the address a request came from: the first entry of
// header (set by a trusted reverse proxy, e.g. X-Forwarded-For) when it
// holds an IP, else the connection's address.
func ClientAddress(r *http.Request, header string) string {
	if header != "" {
		first, _, _ := strings.Cut(r.Header.Get(header), ",")
		if ip, err := netip.ParseAddr(strings.TrimSpace(first)); err == nil {
			return ip.Unmap().String()
		}
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().String()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// cleanText makes a header value storable everywhere: valid UTF-8 without
// NUL (PostgreSQL refuses anything else), at most max bytes.
func cleanText(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
