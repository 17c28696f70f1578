package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

func newEvent(appID, id string, performed time.Time) store.Event {
	return store.Event{
		ID:          id,
		AppID:       appID,
		PerformedAt: performed,
		Type:        1000,
		Message:     "Created registration token for user1",
		Severity:    3,
		PerformedBy: "user1",
		Subject:     appID,
		APIKeyID:    "6d02",
	}
}

var eventCases = slices.Concat(eventBasicCases, eventPageCases)

var eventBasicCases = []testCase{
	{"add and list newest first", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		old := newEvent("app1", "e-old", at(-time.Hour))
		sparse := store.Event{ID: "e-sparse", AppID: "app1", PerformedAt: t0}
		tieLow := newEvent("app1", "e-tie-a", at(time.Microsecond))
		tieHigh := newEvent("app1", "e-tie-b", at(time.Microsecond))
		tieHigh.Type, tieHigh.Severity, tieHigh.APIKeyID = 7013, 1, ""
		newest := newEvent("app1", "e-new", at(time.Hour))
		foreign := newEvent("app2", "e-foreign", at(2*time.Hour))
		must(t, s.AddEvents(ctx, []store.Event{tieLow, old, foreign, newest}))
		must(t, s.AddEvents(ctx, []store.Event{sparse, tieHigh}))
		wantEvents(t, s, "app1", 0, 100, 5, newest, tieHigh, tieLow, sparse, old)
		wantEvents(t, s, "app2", 0, 100, 1, foreign)
	}},
	{"list empty", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		wantEvents(t, s, "app1", 0, 100, 0)
		wantEvents(t, s, "app1", 10, 100, 0)
	}},
	{"add empty batch", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		must(t, s.AddEvents(t.Context(), nil))
		must(t, s.AddEvents(t.Context(), []store.Event{}))
		wantEvents(t, s, "app1", 0, 100, 0)
	}},
	{"duplicate id writes nothing of the batch", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		orig := newEvent("app1", "e1", t0)
		must(t, s.AddEvents(ctx, []store.Event{orig}))
		dup := newEvent("app2", "e1", at(time.Hour))
		err := s.AddEvents(ctx, []store.Event{newEvent("app1", "e2", t0), dup})
		wantErr(t, err, store.ErrConflict)
		wantEvents(t, s, "app1", 0, 100, 1, orig)
		wantEvents(t, s, "app2", 0, 100, 0)
		err = s.AddEvents(ctx, []store.Event{newEvent("app1", "e3", t0), newEvent("app1", "e3", t0)})
		wantErr(t, err, store.ErrConflict)
		wantEvents(t, s, "app1", 0, 100, 1, orig)
	}},
	{"delete before", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		var app1, app2 []store.Event
		for i, d := range []time.Duration{-time.Hour, -time.Microsecond, 0, time.Hour} {
			app1 = append(app1, newEvent("app1", fmt.Sprintf("a-%d", i), at(d)))
			app2 = append(app2, newEvent("app2", fmt.Sprintf("b-%d", i), at(d)))
		}
		must(t, s.AddEvents(ctx, append(app1, app2...)))
		must(t, s.DeleteEventsBefore(ctx, "app1", t0))
		wantEvents(t, s, "app1", 0, 100, 2, app1[3], app1[2])
		wantEvents(t, s, "app2", 0, 100, 4, app2[3], app2[2], app2[1], app2[0])
		must(t, s.DeleteEventsBefore(ctx, "app1", at(time.Hour+time.Microsecond)))
		wantEvents(t, s, "app1", 0, 100, 0)
	}},
}

// eventPageCases page through seven events e0 (oldest) … e6 (newest).
var eventPageCases = func() []testCase {
	pages := []struct {
		offset, limit int
		want          []int // event numbers, newest first
	}{
		{0, 3, []int{6, 5, 4}},
		{3, 3, []int{3, 2, 1}},
		{6, 3, []int{0}},
		{7, 3, nil},
		{100, 3, nil},
		{0, 7, []int{6, 5, 4, 3, 2, 1, 0}},
		{0, 1000, []int{6, 5, 4, 3, 2, 1, 0}},
		{2, 1, []int{4}},
		{0, 0, nil},
	}
	var cases []testCase
	for _, p := range pages {
		cases = append(cases, testCase{fmt.Sprintf("page offset %d limit %d", p.offset, p.limit), func(t *testing.T, s store.Store) {
			createApp(t, s, "app1")
			createApp(t, s, "app2")
			var all []store.Event
			for i := range 7 {
				// Two events share each time: the id breaks the tie.
				all = append(all, newEvent("app1", fmt.Sprintf("e%d", i), at(time.Duration(i/2)*time.Minute)))
			}
			batch := append([]store.Event{newEvent("app2", "x", at(time.Hour))}, all...)
			batch[1], batch[5] = batch[5], batch[1]
			must(t, s.AddEvents(t.Context(), batch))
			var want []store.Event
			for _, i := range p.want {
				want = append(want, all[i])
			}
			wantEvents(t, s, "app1", p.offset, p.limit, 7, want...)
		}})
	}
	return cases
}()

func wantEvents(t *testing.T, s store.Store, appID string, offset, limit int, total int64, want ...store.Event) {
	t.Helper()
	got, gotTotal, err := s.ListEvents(t.Context(), appID, offset, limit)
	must(t, err)
	wantEqual(t, fmt.Sprintf("events of %s at %d+%d", appID, offset, limit), normAll(got, normEvent), normAll(want, normEvent))
	wantEqual(t, "total events of "+appID, gotTotal, total)
}
