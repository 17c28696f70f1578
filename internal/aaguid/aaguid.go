// Package aaguid names authenticators. A credential records the AAGUID of
// the authenticator model that made it; people recognise "iCloud Keychain"
// or "YubiKey 5", not a UUID. Names come from a list of passkey providers
// that the operator supplies as a file (reloaded when it changes) and, for
// AAGUIDs the list lacks, from the FIDO metadata BLOB when one is
// configured. No list is built in.
package aaguid

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/mds"
)

// Provider is what is known about one authenticator model.
type Provider struct {
	Name string
	// IconLight and IconDark are data: URLs of SVG images for light and dark
	// backgrounds; "" when the list has none.
	IconLight string
	IconDark  string
}

// Icon returns the icon for a light background, or the other one.
func (p Provider) Icon() string {
	if p.IconLight != "" {
		return p.IconLight
	}
	return p.IconDark
}

// List is an immutable AAGUID → provider table.
type List struct {
	byAAGUID map[uuid.UUID]Provider
}

// Len returns the number of entries.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.byAAGUID)
}

// entry is one value of the list's JSON object, in the format of the
// community list: {"name": …, "icon_dark": …, "icon_light": …}.
type entry struct {
	Name      string `json:"name"`
	IconDark  string `json:"icon_dark"`
	IconLight string `json:"icon_light"`
}

// svgDataURL is the only icon form accepted: the console puts icons in
// <img src>, and an SVG data URL cannot carry a request elsewhere.
const svgDataURL = "data:image/svg+xml;base64,"

// Parse reads a list: a JSON object whose keys are AAGUIDs and whose values
// have a non-empty "name". Icons other than SVG data URLs are dropped. A
// malformed key or entry fails the whole list, so a broken file is never
// half applied.
func Parse(data []byte) (*List, error) {
	var raw map[string]entry
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("aaguid: %w", err)
	}
	if raw == nil {
		return nil, errors.New("aaguid: the list is not a JSON object")
	}
	l := &List{byAAGUID: make(map[uuid.UUID]Provider, len(raw))}
	for key, e := range raw {
		id, err := uuid.Parse(key)
		if err != nil {
			return nil, fmt.Errorf("aaguid: key %q is not an AAGUID", key)
		}
		name := strings.TrimSpace(e.Name)
		if name == "" {
			return nil, fmt.Errorf("aaguid: %s has no name", key)
		}
		l.byAAGUID[id] = Provider{Name: name, IconLight: svgIcon(e.IconLight), IconDark: svgIcon(e.IconDark)}
	}
	return l, nil
}

func svgIcon(s string) string {
	if strings.HasPrefix(s, svgDataURL) && len(s) > len(svgDataURL) {
		return s
	}
	return ""
}

func (l *List) lookup(id uuid.UUID) (Provider, bool) {
	if l == nil {
		return Provider{}, false
	}
	p, ok := l.byAAGUID[id]
	return p, ok
}

// Directory answers lookups from a list and the metadata BLOB. Its
// sources are functions so that reloaded files take effect at once.
type Directory struct {
	list     func() *List
	metadata func() *mds.Metadata
}

// NewDirectory returns a directory over list and metadata; either may be
// nil (no list, no BLOB), and either function may return nil.
func NewDirectory(list func() *List, metadata func() *mds.Metadata) *Directory {
	if list == nil {
		list = func() *List { return nil }
	}
	if metadata == nil {
		metadata = func() *mds.Metadata { return nil }
	}
	return &Directory{list: list, metadata: metadata}
}

// Lookup returns the provider of an AAGUID given as text. The list wins
// over the metadata BLOB, since it names passkey providers as their users
// know them. The all-zero AAGUID, which many authenticators send to stay
// anonymous, names nothing. Lookup is safe on a nil Directory.
func (d *Directory) Lookup(aaguid string) (Provider, bool) {
	if d == nil {
		return Provider{}, false
	}
	id, err := uuid.Parse(aaguid)
	if err != nil || id == uuid.Nil {
		return Provider{}, false
	}
	if p, ok := d.list().lookup(id); ok {
		return p, true
	}
	if e, ok := d.metadata().Entry(id); ok && strings.TrimSpace(e.Description) != "" {
		return Provider{Name: strings.TrimSpace(e.Description), IconLight: svgIconOrImage(e.Icon)}, true
	}
	return Provider{}, false
}

// Name returns the provider name of an AAGUID, or "".
func (d *Directory) Name(aaguid string) string {
	p, _ := d.Lookup(aaguid)
	return p.Name
}

// svgIconOrImage keeps the icons of the metadata BLOB, which are raster
// data URLs (PNG) as often as SVG; the BLOB is signed by the FIDO Alliance.
func svgIconOrImage(s string) string {
	if strings.HasPrefix(s, "data:image/") {
		return s
	}
	return ""
}
