package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
)

// problemContentType is compared byte for byte by the Node and Java SDKs:
// no charset parameter.
const problemContentType = "application/problem+json"

// writeError renders any error as a problem document. This is the only
// place error bodies are written. Errors that are not problems are
// unexpected and become a 500 whose cause is logged, not shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var p *problem.Problem
	if !errors.As(err, &p) {
		p = problem.Internal(err)
	}
	if p.Status == http.StatusInternalServerError {
		p = storageProblem(err, p)
	}
	switch {
	case p.Code == "server_busy", p.Code == "storage_full":
		// Expected under load or attack: not a failure of the server.
		s.log.Warn("request refused: server busy", "method", r.Method, "path", r.URL.Path)
	case p.Status >= 500:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", p.Status, "err", err)
	default:
		if cause := errors.Unwrap(p); cause != nil {
			s.log.Debug("request rejected", "method", r.Method, "path", r.URL.Path, "status", p.Status, "errorCode", p.Code, "cause", cause)
		}
	}
	for k, vs := range p.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	body := map[string]any{"type": p.TypeURL(), "title": p.Title, "status": p.Status}
	if !p.NoCode {
		body["errorCode"] = nil
		if p.Code != "" {
			body["errorCode"] = p.Code
		}
	}
	if p.Detail != "" {
		body["detail"] = p.Detail
	}
	if p.Errors != nil {
		body["errors"] = p.Errors
	}
	for k, v := range p.Extra {
		body[k] = v
	}
	b, err := json.Marshal(body)
	if err != nil {
		s.log.Error("encode problem", "err", err)
		b = []byte(`{"title":"An error occurred while processing your request.","status":500}`)
	}
	w.Header().Set("Content-Type", problemContentType)
	w.WriteHeader(p.Status)
	w.Write(b)
}

// Answers to requests that failed because the storage did, not the
// request: 503 with Retry-After, so that load balancers and SDKs retry.
var (
	storageFull = &problem.Problem{
		Status: http.StatusServiceUnavailable,
		Code:   "storage_full",
		Title:  "The database is full: changes are refused until space is freed. Reads still work.",
		Header: http.Header{"Retry-After": {"60"}},
	}
	storageUnavailable = &problem.Problem{
		Status: http.StatusServiceUnavailable,
		Code:   "storage_unavailable",
		Title:  "The database is unavailable. Try again shortly.",
		Header: http.Header{"Retry-After": {"5"}},
	}
)

// storageProblem returns the 503 problem for an error caused by the
// storage (keeping err as its logged cause), or p.
func storageProblem(err error, p *problem.Problem) *problem.Problem {
	switch {
	case errors.Is(err, store.ErrFull):
		return storageFull.WithCause(err)
	case errors.Is(err, store.ErrUnavailable):
		return storageUnavailable.WithCause(err)
	}
	return p
}

// writeJSON writes a success body.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode response", "err", err)
		w.Header().Set("Content-Type", problemContentType)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"title":"An error occurred while processing your request.","status":500}`))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// problemTestError is what GET /health/throw/api answers, so clients can
// test their error handling.
var problemTestError = problem.BadRequest("test_error", "Testing error response")
