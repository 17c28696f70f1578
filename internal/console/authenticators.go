package console

import (
	"html/template"
	"regexp"

	"github.com/passwordless-oss/server/internal/users"
)

// credentialRow is a passkey as the user page shows it: with the name and
// icon of its authenticator when they are known.
type credentialRow struct {
	users.CredentialView
	Provider string
	// Icon is a data: URL checked by package aaguid (SVG from the list, an
	// image from the signed metadata BLOB), so it may go into <img src>.
	Icon template.URL
}

func (c *Console) credentialRows(creds []users.CredentialView) []credentialRow {
	rows := make([]credentialRow, len(creds))
	for i, cr := range creds {
		rows[i].CredentialView = cr
		if cr.AAGUID == nil {
			continue
		}
		if p, ok := c.cfg.Authenticators.Lookup(*cr.AAGUID); ok {
			rows[i].Provider, rows[i].Icon = p.Name, template.URL(p.Icon())
		}
	}
	return rows
}

// messagePart is a piece of an event message: text, or an AAGUID with the
// name of its authenticator.
type messagePart struct {
	Text     string
	AAGUID   bool
	Provider string
}

var aaguidPattern = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// messageParts splits an event message around the AAGUIDs it mentions
// (registrations, allow and block lists), naming those that are known.
func (c *Console) messageParts(msg string) []messagePart {
	var parts []messagePart
	last := 0
	for _, m := range aaguidPattern.FindAllStringIndex(msg, -1) {
		name := c.cfg.Authenticators.Name(msg[m[0]:m[1]])
		if name == "" {
			continue
		}
		if m[0] > last {
			parts = append(parts, messagePart{Text: msg[last:m[0]]})
		}
		parts = append(parts, messagePart{Text: msg[m[0]:m[1]], AAGUID: true, Provider: name})
		last = m[1]
	}
	if last < len(msg) {
		parts = append(parts, messagePart{Text: msg[last:]})
	}
	return parts
}
