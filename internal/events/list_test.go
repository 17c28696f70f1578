package events

import (
	"context"
	"math"
	"testing"

	"github.com/passwordless-oss/server/internal/store"
)

// pageStore records the offset and limit List asks the store for. The
// embedded interface is nil: any other store call would panic.
type pageStore struct {
	store.Store
	offset, limit int
}

func (p *pageStore) ListEvents(_ context.Context, _ string, offset, limit int) ([]store.Event, int64, error) {
	p.offset, p.limit = offset, limit
	return nil, 0, nil
}

func TestListPageOffset(t *testing.T) {
	app := store.App{ID: "app", Features: store.Features{EventLoggingEnabled: true}}
	tests := []struct {
		name             string
		pageNumber, size int
		wantOffset       int
	}{
		{"first page", 1, 100, 0},
		{"second page", 2, 100, 100},
		{"large page", 1 << 20, MaxPageSize, (1<<20 - 1) * MaxPageSize},
		// Unchecked, the product wraps around to a negative offset, which
		// the stores read as 0: page 1 again.
		{"product past the largest int", math.MaxInt/100 + 2, 100, math.MaxInt},
		{"largest int", math.MaxInt, MaxPageSize, math.MaxInt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &pageStore{}
			if _, err := New(st, nil).List(context.Background(), app, tt.pageNumber, tt.size); err != nil {
				t.Fatal(err)
			}
			if st.offset != tt.wantOffset || st.limit != tt.size {
				t.Fatalf("store asked for offset %d limit %d, want offset %d limit %d", st.offset, st.limit, tt.wantOffset, tt.size)
			}
		})
	}
}
