package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// day returns midnight UTC n days after t0's day.
func day(n int) time.Time { return time.Date(2025, 3, 1+n, 0, 0, 0, 0, time.UTC) }

func credReport(n int) store.CredentialReport {
	return store.CredentialReport{Date: day(n), Users: 10 + n, Credentials: 20 + n}
}

func activeReport(n int) store.ActiveUserReport {
	return store.ActiveUserReport{Date: day(n), Daily: n, Weekly: 5 + n, Total: 10 + n}
}

var reportCases = slices.Concat([]testCase{
	{"put replaces the row of the day", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.PutCredentialReport(ctx, "app1", store.CredentialReport{Date: day(1), Users: 1, Credentials: 2}))
		must(t, s.PutActiveUserReport(ctx, "app1", store.ActiveUserReport{Date: day(1), Daily: 1, Weekly: 2, Total: 3}))
		must(t, s.PutCredentialReport(ctx, "app1", credReport(0)))
		must(t, s.PutActiveUserReport(ctx, "app1", activeReport(0)))
		replaced := store.CredentialReport{Date: day(1), Users: 3, Credentials: 4}
		must(t, s.PutCredentialReport(ctx, "app1", replaced))
		replacedActive := store.ActiveUserReport{Date: day(1), Daily: 4, Weekly: 5, Total: 6}
		must(t, s.PutActiveUserReport(ctx, "app1", replacedActive))
		wantCredentialReports(t, s, "app1", time.Time{}, time.Time{}, credReport(0), replaced)
		wantActiveUserReports(t, s, "app1", time.Time{}, time.Time{}, activeReport(0), replacedActive)
	}},
	{"zero counts and empty lists", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		wantCredentialReports(t, s, "app1", time.Time{}, time.Time{})
		wantActiveUserReports(t, s, "app1", time.Time{}, time.Time{})
		must(t, s.PutCredentialReport(ctx, "app1", store.CredentialReport{Date: day(0)}))
		must(t, s.PutActiveUserReport(ctx, "app1", store.ActiveUserReport{Date: day(0)}))
		wantCredentialReports(t, s, "app1", time.Time{}, time.Time{}, store.CredentialReport{Date: day(0)})
		wantActiveUserReports(t, s, "app1", time.Time{}, time.Time{}, store.ActiveUserReport{Date: day(0)})
	}},
}, reportFilterCases)

// reportFilterCases query days 1 … 5 (stored out of order, next to another
// app's rows) with inclusive bounds; zero bounds are open.
var reportFilterCases = func() []testCase {
	filters := []struct {
		name     string
		from, to time.Time
		want     []int
	}{
		{"unbounded", time.Time{}, time.Time{}, []int{1, 2, 3, 4, 5}},
		{"from only", day(2), time.Time{}, []int{2, 3, 4, 5}},
		{"to only", time.Time{}, day(3), []int{1, 2, 3}},
		{"both inclusive", day(2), day(4), []int{2, 3, 4}},
		{"one day", day(3), day(3), []int{3}},
		{"to within the day", day(2), day(3).Add(12 * time.Hour), []int{2, 3}},
		{"from just after a day", day(2).Add(time.Microsecond), day(4), []int{3, 4}},
		{"to just before a day", day(2), day(4).Add(-time.Microsecond), []int{2, 3}},
		{"outside before", day(-10), day(0), nil},
		{"outside after", day(6), time.Time{}, nil},
		{"reversed", day(4), day(2), nil},
		{"wide", day(-100), day(100), []int{1, 2, 3, 4, 5}},
	}
	var cases []testCase
	for _, f := range filters {
		cases = append(cases, testCase{"filter " + f.name, func(t *testing.T, s store.Store) {
			ctx := t.Context()
			createApp(t, s, "app1")
			createApp(t, s, "app2")
			for _, n := range []int{3, 1, 5, 2, 4} {
				must(t, s.PutCredentialReport(ctx, "app1", credReport(n)))
				must(t, s.PutActiveUserReport(ctx, "app1", activeReport(n)))
			}
			for _, n := range []int{0, 3, 6} {
				must(t, s.PutCredentialReport(ctx, "app2", store.CredentialReport{Date: day(n), Users: 99}))
				must(t, s.PutActiveUserReport(ctx, "app2", store.ActiveUserReport{Date: day(n), Total: 99}))
			}
			var wantCred []store.CredentialReport
			var wantActive []store.ActiveUserReport
			for _, n := range f.want {
				wantCred = append(wantCred, credReport(n))
				wantActive = append(wantActive, activeReport(n))
			}
			wantCredentialReports(t, s, "app1", f.from, f.to, wantCred...)
			wantActiveUserReports(t, s, "app1", f.from, f.to, wantActive...)
		}})
	}
	return cases
}()

func wantCredentialReports(t *testing.T, s store.Store, appID string, from, to time.Time, want ...store.CredentialReport) {
	t.Helper()
	got, err := s.ListCredentialReports(t.Context(), appID, from, to)
	must(t, err)
	wantEqual(t, fmt.Sprintf("credential reports of %s from %v to %v", appID, from, to),
		normAll(got, normCredentialReport), normAll(want, normCredentialReport))
}

func wantActiveUserReports(t *testing.T, s store.Store, appID string, from, to time.Time, want ...store.ActiveUserReport) {
	t.Helper()
	got, err := s.ListActiveUserReports(t.Context(), appID, from, to)
	must(t, err)
	wantEqual(t, fmt.Sprintf("active-user reports of %s from %v to %v", appID, from, to),
		normAll(got, normActiveUserReport), normAll(want, normActiveUserReport))
}
