package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/passwordless-oss/server/internal/problem"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type pageTemplate struct {
	t *template.Template
}

var funcs = template.FuncMap{
	"when": func(s string) string {
		if s == "" {
			return "—"
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC().Format("2006-01-02 15:04 UTC")
		}
		if len(s) >= 16 && s[10] == 'T' {
			return s[:10] + " " + s[11:16] + " UTC"
		}
		return s
	},
	"whenp": func(s *string) string {
		if s == nil || *s == "" {
			return "—"
		}
		if len(*s) >= 16 && (*s)[10] == 'T' {
			return (*s)[:10] + " " + (*s)[11:16] + " UTC"
		}
		return *s
	},
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"join": strings.Join,
	"list": func(v ...any) []any { return v },
	// hasHint reports whether a configuration's hint list (enum names,
	// "SecurityKey, Hybrid") holds the W3C hint h ("security-key").
	"hasHint": func(list, h string) bool {
		name := map[string]string{"security-key": "SecurityKey", "client-device": "ClientDevice", "hybrid": "Hybrid"}[h]
		for _, x := range strings.Split(list, ",") {
			if strings.TrimSpace(x) == name {
				return true
			}
		}
		return false
	},
	"add": func(a, b int) int { return a + b },
	// plural writes "1 event", "2 events".
	"plural": func(n any, one, many string) string {
		switch v := n.(type) {
		case int:
			return plural(int64(v), one, many)
		case int64:
			return plural(v, one, many)
		}
		return fmt.Sprint(n) + " " + many
	},
	"duration": humanDuration,
}

// parseTemplates parses every page together with the layout.
func parseTemplates() (map[string]*pageTemplate, error) {
	layout, err := templateFS.ReadFile("templates/layout.html")
	if err != nil {
		return nil, err
	}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*pageTemplate{}
	for _, e := range entries {
		name := strings.TrimSuffix(path.Base(e), ".html")
		if name == "layout" {
			continue
		}
		body, err := templateFS.ReadFile(e)
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, err
		}
		if _, err := t.Parse(string(body)); err != nil {
			return nil, errors.New("template " + name + ": " + err.Error())
		}
		out[name] = &pageTemplate{t: t}
	}
	return out, nil
}

// appNav is the app a page is about, for the app tabs.
type appNav struct {
	ID   string
	Tab  string
	Demo bool
}

// page is the data of every page.
type page struct {
	Title   string
	Session *session
	Dev     bool
	Notice  string
	Error   string
	App     *appNav
	Data    any
	// Address explains why passkeys cannot work on an IP-address host.
	Address *addressProblem
}

// CSRF returns the session's CSRF token for the forms.
func (p page) CSRF() string {
	if p.Session == nil {
		return ""
	}
	return p.Session.CSRF
}

// contentSecurityPolicy allows scripts and styles only from the console's
// own static files, plus the given script URLs.
func contentSecurityPolicy(scripts ...string) string {
	src := strings.Join(append([]string{"'self'"}, scripts...), " ")
	return "default-src 'self'; script-src " + src + "; style-src 'self'; img-src 'self' data:; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// securityHeaders are set on every console response.
func (c *Console) securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy())
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if c.cfg.HSTS {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// render writes a page; status 0 means 200.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := c.pages[name]
	if !ok {
		http.Error(w, "unknown page "+name, http.StatusInternalServerError)
		return
	}
	if s, ok := sessionFrom(r.Context()); ok && p.Session == nil {
		p.Session = &s
	}
	p.Dev = c.cfg.Dev
	p.Address = c.addressProblem(r)
	if p.App != nil {
		p.App.Demo = true
	}
	var buf bytes.Buffer
	if err := t.t.ExecuteTemplate(&buf, "layout", p); err != nil {
		c.log.Error("render console page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// showError renders the error page.
func (c *Console) showError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.render(w, r, status, "error", page{Title: http.StatusText(status), Error: msg})
}

// userError is a failed request as the administrator sees it: a status
// and a message. Its cause, if any, is logged and never shown.
type userError struct {
	status int
	msg    string
	cause  error
}

func (e *userError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (e *userError) Unwrap() error { return e.cause }

// fail is the error that shows msg with status.
func fail(status int, msg string) error { return &userError{status: status, msg: msg} }

// failCause is fail for a failure whose cause goes to the log.
func failCause(status int, msg string, cause error) error {
	return &userError{status: status, msg: msg, cause: cause}
}

// seeOther is the error that sends the browser to another console page
// instead of an error page.
type seeOther string

func (to seeOther) Error() string { return "see " + string(to) }

// handlerFunc is a console handler: it writes its page or redirect, or
// returns an error, which serve renders.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// serve adapts h to net/http. A returned error is answered in one place:
// a redirect for seeOther, the error page for everything else with the
// message a userError or a service problem carries (see message); causes
// are logged apart from what the administrator reads.
func (c *Console) serve(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			c.answerError(w, r, err)
		}
	}
}

func (c *Console) answerError(w http.ResponseWriter, r *http.Request, err error) {
	var to seeOther
	if errors.As(err, &to) {
		c.redirect(w, r, string(to))
		return
	}
	var ue *userError
	if errors.As(err, &ue) {
		if ue.cause != nil {
			c.log.Error("console", "shown", ue.msg, "err", ue.cause)
		}
		c.showError(w, r, ue.status, ue.msg)
		return
	}
	status, msg := c.message(err)
	c.showError(w, r, status, msg)
}

// message turns a service error into what an administrator reads, and
// the status to answer with.
func (c *Console) message(err error) (int, string) {
	var p *problem.Problem
	if errors.As(err, &p) {
		if p.Status >= 500 {
			c.log.Error("console", "err", err)
			return p.Status, "Something went wrong on the server; see its log."
		}
		msg := p.Title
		for field, list := range p.Errors {
			for _, m := range list {
				msg += " " + field + ": " + m
			}
		}
		if p.Detail != "" {
			msg += " " + p.Detail
		}
		return p.Status, msg
	}
	c.log.Error("console", "err", err)
	return http.StatusInternalServerError, "Something went wrong on the server; see its log."
}

func (c *Console) redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
