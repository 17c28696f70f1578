// Package schema reads the numbered schema migrations a backend embeds.
// Each backend applies them its own way; the naming rule and the order
// are the same for all.
package schema

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema change, from a file "NNNN_description.sql".
type Migration struct {
	Version int
	// Name is the file name.
	Name string
	SQL  string
}

// Load reads the migrations *.sql of dir in fsys, ordered by version. A
// name that does not start with a positive number and '_', or two files
// of one version, is an error.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	list := make([]Migration, 0, len(names))
	seen := map[int]string{}
	for _, p := range names {
		m, err := read(fsys, p)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[m.Version]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, m.Name, m.Version)
		}
		seen[m.Version] = m.Name
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Version < list[j].Version })
	return list, nil
}

func read(fsys fs.FS, p string) (Migration, error) {
	name := path.Base(p)
	prefix, _, ok := strings.Cut(name, "_")
	version, err := strconv.Atoi(prefix)
	if !ok || err != nil || version <= 0 {
		return Migration{}, fmt.Errorf("migration %s: name must start with a positive number and '_'", name)
	}
	body, err := fs.ReadFile(fsys, p)
	if err != nil {
		return Migration{}, fmt.Errorf("read migration %s: %w", name, err)
	}
	return Migration{Version: version, Name: name, SQL: string(body)}, nil
}
