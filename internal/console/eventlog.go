package console

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/store"
)

const (
	eventsPageSize = 50
	// filterScanPages bounds how many pages of 1000 events a type filter
	// reads (the newest 10 000 events).
	filterScanPages = 10
)

// eventTypeNames are the names of every known event type, for the filter.
var eventTypeNames = func() []string {
	var out []string
	for _, r := range [][2]int{{1000, 1120}, {1200, 1220}, {1300, 1320}, {1400, 1420}, {7000, 7030}, {7100, 7110}} {
		for n := r[0]; n < r[1]; n++ {
			if name := events.Type(n).String(); name != "Unknown" {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}()

type eventsView struct {
	Enabled  bool
	Events   []eventRow
	Total    int64
	Page     int
	Pages    int
	Type     string
	Types    []string
	PrevURL  string
	NextURL  string
	Scanned  bool
	PageSize int
}

func (c *Console) eventsPage(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	pageNo, _ := strconv.Atoi(q.Get("page"))
	if pageNo < 1 {
		pageNo = 1
	}
	v := eventsView{Enabled: app.Features.EventLoggingEnabled, Page: pageNo, Type: q.Get("type"), Types: eventTypeNames, PageSize: eventsPageSize}
	p := page{Title: "Events of " + app.ID, App: &appNav{ID: app.ID, Tab: "events"}}
	if v.Enabled {
		if err := c.loadEvents(r, app, &v); err != nil {
			return err
		}
		v.Pages = int((v.Total + eventsPageSize - 1) / eventsPageSize)
		link := func(n int) string {
			u := url.Values{"page": {strconv.Itoa(n)}}
			if v.Type != "" {
				u.Set("type", v.Type)
			}
			return Prefix + "/apps/" + app.ID + "/events?" + u.Encode()
		}
		if pageNo > 1 {
			v.PrevURL = link(pageNo - 1)
		}
		if pageNo < v.Pages {
			v.NextURL = link(pageNo + 1)
		}
	}
	p.Data = v
	c.render(w, r, 0, "events", p)
	return nil
}

// loadEvents fills one page of events, filtered by type if asked. The
// event list is paged newest first and has no type filter, so a filter
// scans the newest pages.
func (c *Console) loadEvents(r *http.Request, app store.App, v *eventsView) error {
	ctx := r.Context()
	if v.Type == "" {
		res, err := c.cfg.Events.List(ctx, app, v.Page, eventsPageSize)
		if err != nil {
			return err
		}
		v.Events, v.Total = c.eventRows(res.Events), res.TotalEventCount
		return nil
	}
	var matched []events.View
	for n := 1; n <= filterScanPages; n++ {
		res, err := c.cfg.Events.List(ctx, app, n, events.MaxPageSize)
		if err != nil {
			return err
		}
		for _, e := range res.Events {
			if e.EventType == v.Type {
				matched = append(matched, e)
			}
		}
		if int64(n*events.MaxPageSize) >= res.TotalEventCount {
			break
		}
		v.Scanned = true
	}
	v.Total = int64(len(matched))
	from := (v.Page - 1) * eventsPageSize
	if from < len(matched) {
		v.Events = c.eventRows(matched[from:min(from+eventsPageSize, len(matched))])
	}
	return nil
}

type usageView struct {
	Credentials template.HTML
	ActiveUsers template.HTML
	Days        int
	Rows        int
}

func (c *Console) usagePage(w http.ResponseWriter, r *http.Request, s session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	days := 30
	if d, _ := strconv.Atoi(r.URL.Query().Get("days")); d == 7 || d == 90 || d == 365 {
		days = d
	}
	c.refreshUsage(ctx, app.ID)
	to := c.now().UTC().Truncate(24 * time.Hour)
	from := to.AddDate(0, 0, -days+1)
	creds, err := c.cfg.Reports.Credentials(ctx, app.ID, from, to)
	if err != nil {
		return err
	}
	active, err := c.cfg.Reports.ActiveUsers(ctx, app.ID, from, to)
	if err != nil {
		return err
	}
	credSeries := []series{{Name: "Users", Class: "s1"}, {Name: "Credentials", Class: "s2"}}
	for _, row := range creds {
		d, _ := time.Parse("2006-01-02", row.CreatedAt)
		credSeries[0].Points = append(credSeries[0].Points, point{d, row.Users})
		credSeries[1].Points = append(credSeries[1].Points, point{d, row.Credentials})
	}
	activeSeries := []series{{Name: "Daily active", Class: "s1"}, {Name: "Weekly active", Class: "s2"}, {Name: "Total users", Class: "s3"}}
	for _, row := range active {
		d, _ := time.Parse("2006-01-02", row.CreatedAt)
		activeSeries[0].Points = append(activeSeries[0].Points, point{d, row.DailyActiveUsers})
		activeSeries[1].Points = append(activeSeries[1].Points, point{d, row.WeeklyActiveUsers})
		activeSeries[2].Points = append(activeSeries[2].Points, point{d, row.TotalUsers})
	}
	v := usageView{
		Credentials: lineChart("credentials-chart", "Users and credentials", from, to, credSeries),
		ActiveUsers: lineChart("active-users-chart", "Active users", from, to, activeSeries),
		Days:        days,
		Rows:        len(creds),
	}
	c.render(w, r, 0, "usage", page{Title: "Usage of " + app.ID, App: &appNav{ID: app.ID, Tab: "usage"}, Data: v})
	return nil
}

// usageRefreshEvery bounds how often viewing the usage page refreshes an
// app's report rows for today, so reloading the page cannot turn into a
// stream of counting queries.
const usageRefreshEvery = time.Minute

// refreshUsage rewrites today's report rows of the app, at most once per
// usageRefreshEvery in this process. The maintenance job writes them only
// hourly, so without this a new app's charts would stay empty for up to an
// hour. A failure is logged and the page shows the rows already stored.
func (c *Console) refreshUsage(ctx context.Context, appID string) {
	now := c.now()
	c.mu.Lock()
	for id, at := range c.usageRefreshed {
		if now.Sub(at) >= usageRefreshEvery {
			delete(c.usageRefreshed, id)
		}
	}
	_, recent := c.usageRefreshed[appID]
	if !recent {
		c.usageRefreshed[appID] = now
	}
	c.mu.Unlock()
	if recent {
		return
	}
	if err := c.cfg.Reports.SnapshotApp(ctx, appID, now); err != nil {
		c.log.WarnContext(ctx, "refresh today's usage report", "app", appID, "err", err)
	}
}

// eventRow is an event with its message split around the AAGUIDs it
// names.
type eventRow struct {
	events.View
	Parts []messagePart
}

func (c *Console) eventRows(evs []events.View) []eventRow {
	rows := make([]eventRow, len(evs))
	for i, e := range evs {
		rows[i] = eventRow{View: e, Parts: c.messageParts(e.Message)}
	}
	return rows
}
