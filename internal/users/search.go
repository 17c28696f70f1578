package users

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// Page sizes of the console's user list (Search). The API's GET
// /users/list keeps its own single page of at most maxListedUsers.
const (
	DefaultSearchPageSize = 50
	MaxSearchPageSize     = 200
)

// How a user of a search result matched the query.
const (
	MatchUserID       = "user id"
	MatchAlias        = "alias"
	MatchAliasHash    = "alias hash"
	MatchCredentialID = "credential id"
)

// SearchRequest asks for one page of an app's users.
type SearchRequest struct {
	// Query finds users by user id (exact or prefix), by alias (its
	// plaintext, hashed as sign-in hashes it, or the stored hash itself)
	// or by credential id (base64url or standard base64, padded or not).
	// Surrounding white space is ignored; "" lists every user.
	Query string
	// After continues the list after this user id: the Next of the
	// previous page.
	After string
	// Limit is the page size: DefaultSearchPageSize when 0, at most
	// MaxSearchPageSize.
	Limit int
}

// UserMatch is a user of a search result.
type UserMatch struct {
	UserView
	// MatchedBy says how the user matched (Match...); "" when listing
	// without a query.
	MatchedBy string
}

// SearchResult is one page of users.
type SearchResult struct {
	Users []UserMatch
	// Next is the After of the following page; "" on the last page.
	Next string
}

// Search returns one page of the app's users, in user id order, paged by
// key: every page, however deep, is an index range read. With a query the
// first page starts with the exact matches of an alias or a credential id
// (each a single index lookup), followed by the users whose id starts
// with the query, the exact id first.
func (s *Service) Search(ctx context.Context, app store.App, req SearchRequest) (SearchResult, error) {
	limit := req.Limit
	switch {
	case limit <= 0:
		limit = DefaultSearchPageSize
	case limit > MaxSearchPageSize:
		limit = MaxSearchPageSize
	}
	q := strings.TrimSpace(req.Query)
	var res SearchResult
	if q != "" && req.After == "" {
		exact, err := s.exactMatches(ctx, app, q)
		if err != nil {
			return res, err
		}
		res.Users = exact
	}
	// One more than the page tells whether there is a next one.
	rows, err := s.store.ListUsersPage(ctx, app.ID, store.UserPage{After: req.After, Prefix: q, Limit: limit + 1})
	if err != nil {
		return res, internal("search users", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		res.Next = rows[limit-1].UserID
	}
	matchedBy := ""
	if q != "" {
		matchedBy = MatchUserID
	}
	for _, u := range rows {
		if !slices.ContainsFunc(res.Users, func(m UserMatch) bool { return m.UserID == u.UserID }) {
			res.Users = append(res.Users, UserMatch{UserView: userView(u), MatchedBy: matchedBy})
		}
	}
	return res, nil
}

// exactMatches finds the owners of q as an alias, as an alias hash and as
// a credential id.
func (s *Service) exactMatches(ctx context.Context, app store.App, q string) ([]UserMatch, error) {
	var out []UserMatch
	add := func(userID, how string) error {
		if slices.ContainsFunc(out, func(m UserMatch) bool { return m.UserID == userID }) {
			return nil
		}
		rows, err := s.store.ListUsersPage(ctx, app.ID, store.UserPage{Prefix: userID, Limit: 1})
		if err != nil {
			return internal("search users", err)
		}
		if len(rows) == 1 && rows[0].UserID == userID {
			out = append(out, UserMatch{UserView: userView(rows[0]), MatchedBy: how})
		}
		return nil
	}
	for _, a := range []struct{ hash, how string }{{HashAlias(app.ID, q), MatchAlias}, {q, MatchAliasHash}} {
		owner, err := s.store.AliasOwner(ctx, app.ID, a.hash)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, internal("search users by alias", err)
		}
		if err := add(owner, a.how); err != nil {
			return nil, err
		}
	}
	for _, id := range credentialIDCandidates(q) {
		cred, err := s.store.GetCredential(ctx, app.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, internal("search users by credential id", err)
		}
		if err := add(cred.UserID, MatchCredentialID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// credentialIDCandidates decodes q as a credential id the ways people
// paste one: base64url (the API's descriptor.id) or standard base64 (logs,
// other tools), with or without padding. Each distinct decoding is a
// candidate; text that is neither gives none.
func credentialIDCandidates(q string) [][]byte {
	raw := strings.TrimRight(q, "=")
	var out [][]byte
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding} {
		b, err := enc.Strict().DecodeString(raw)
		if err != nil || len(b) == 0 || slices.ContainsFunc(out, func(o []byte) bool { return string(o) == string(b) }) {
			continue
		}
		out = append(out, b)
	}
	return out
}

// userView is a user list entry as GET /users/list shows it.
func userView(u store.UserSummary) UserView {
	v := UserView{UserID: u.UserID, AliasCount: len(u.AliasPlaintexts), Aliases: []*string{}, CredentialsCount: u.CredentialsCount}
	for _, p := range u.AliasPlaintexts {
		if p == "" {
			v.Aliases = append(v.Aliases, nil)
		} else {
			v.Aliases = append(v.Aliases, &p)
		}
	}
	if u.LastUsedAt != nil {
		t := wire.FormatStored(*u.LastUsedAt)
		v.LastUsedAt = &t
	}
	return v
}
