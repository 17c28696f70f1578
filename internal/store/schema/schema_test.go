package schema_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/passwordless-oss/server/internal/store/schema"
)

func TestLoad(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	tests := []struct {
		name     string
		files    fstest.MapFS
		want     []int  // versions in order
		wantErr  string // part of the error; "" for none
		wantSQL0 string
	}{
		{"numeric order, not name order", fstest.MapFS{
			"m/0010_later.sql": file("B"), "m/0002_second.sql": file("A"), "m/0001_init.sql": file("first"), "m/README": file("x"),
		}, []int{1, 2, 10}, "", "first"},
		{"empty", fstest.MapFS{"m/.keep": file("")}, []int{}, "", ""},
		{"shared version", fstest.MapFS{"m/0001_a.sql": file(""), "m/1_b.sql": file("")}, nil, "share version 1", ""},
		{"no number", fstest.MapFS{"m/init.sql": file("")}, nil, "init.sql: name must start", ""},
		{"zero", fstest.MapFS{"m/0000_init.sql": file("")}, nil, "name must start", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := schema.Load(tt.files, "m")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []int{}
			for _, m := range list {
				got = append(got, m.Version)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("versions = %v, want %v", got, tt.want)
			}
			if len(list) > 0 && list[0].SQL != tt.wantSQL0 {
				t.Fatalf("first SQL = %q, want %q", list[0].SQL, tt.wantSQL0)
			}
		})
	}
}
