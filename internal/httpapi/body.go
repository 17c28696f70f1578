package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/passwordless-oss/server/internal/metrics"
	"github.com/passwordless-oss/server/internal/problem"
)

const (
	// maxBodyBytes bounds request bodies; WebAuthn responses are a few KiB.
	maxBodyBytes = 1 << 20
	// bodyReadTimeout bounds how long a client may take to send a body,
	// well below the server's overall read timeout.
	bodyReadTimeout = 10 * time.Second
	// firstBodyChunk is the most a body's buffer starts with: enough for
	// every ordinary request, so that most bodies are read in one piece.
	firstBodyChunk = 16 << 10
	// DefaultMaxBodyMemory is the default bound on the bytes of request
	// bodies held in memory at once, across all requests.
	DefaultMaxBodyMemory = 64 << 20
)

// bodyBudget bounds the bytes of request bodies held in memory at once,
// across all requests. Bodies are read before authentication, rate
// limiting and the in-flight bound (so that slow uploads cannot hold the
// server's capacity), so without it a few hundred unauthenticated
// connections sending large bodies make the process hold hundreds of MiB.
//
// A quarter of the budget is kept for the first chunk of a body: clients
// that hold the rest with large bodies cannot keep ordinary requests out.
type bodyBudget struct {
	total   int64
	reserve int64 // what growing a body beyond its first chunk must leave free
	free    atomic.Int64
}

func newBodyBudget(total int64) *bodyBudget {
	b := &bodyBudget{total: total, reserve: total / 4}
	b.free.Store(total)
	return b
}

// take reserves n bytes if, after that, at least keep bytes stay free.
func (b *bodyBudget) take(n, keep int64) bool {
	for {
		free := b.free.Load()
		if free-n < keep {
			return false
		}
		if b.free.CompareAndSwap(free, free-n) {
			return true
		}
	}
}

// give returns bytes taken before.
func (b *bodyBudget) give(n int64) { b.free.Add(n) }

var (
	errBodyBudget          = errors.New("the memory for request bodies is used up")
	errLongerThanAnnounced = errors.New("the body is longer than its Content-Length")
)

// bodyBuffer reads a body into a buffer that grows only as bytes arrive,
// taking every growth from the budget first. It never allocates more than
// limit: the announced Content-Length, or maxBodyBytes.
type bodyBuffer struct {
	budget *bodyBudget
	limit  int64
	data   []byte
	held   int64 // taken from the budget: cap(data)
}

func (b *bodyBuffer) readFrom(src io.Reader) error {
	for {
		if len(b.data) == cap(b.data) {
			if int64(cap(b.data)) == b.limit {
				return expectEnd(src)
			}
			if err := b.grow(); err != nil {
				return err
			}
		}
		n, err := src.Read(b.data[len(b.data):cap(b.data)])
		b.data = b.data[:len(b.data)+n]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// grow doubles the buffer, up to the limit. The first chunk may use the
// whole budget; later growth must leave the reserve free.
func (b *bodyBuffer) grow() error {
	size := int64(cap(b.data))
	next := min(max(2*size, firstBodyChunk), b.limit)
	keep := b.budget.reserve
	if size == 0 {
		keep = 0
	}
	if !b.budget.take(next-size, keep) {
		return errBodyBudget
	}
	b.held += next - size
	data := make([]byte, len(b.data), next)
	copy(data, b.data)
	b.data = data
	return nil
}

// expectEnd checks that src has nothing after the bytes read (a body over
// maxBodyBytes is reported by http.MaxBytesReader here).
func expectEnd(src io.Reader) error {
	var probe [1]byte
	for {
		n, err := src.Read(probe[:])
		if n > 0 {
			return errLongerThanAnnounced
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// memoryBody is a request body readBody holds in memory; decode uses its
// bytes without copying them again.
type memoryBody struct {
	*bytes.Reader
	data []byte
}

func (*memoryBody) Close() error { return nil }

// readBody reads the whole request body into memory (at most
// maxBodyBytes, within bodyReadTimeout) and replaces r.Body with it. It
// returns the bytes taken from the budget, also when it fails; the caller
// gives them back when the request ends. conn must be the server's own
// ResponseWriter (for the read deadline, and so that an oversized body
// closes the connection).
func (s *Server) readBody(conn http.ResponseWriter, r *http.Request) (held int64, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return 0, nil
	}
	if r.ContentLength > maxBodyBytes {
		return 0, bodyTooLarge()
	}
	// Not every ResponseWriter supports deadlines (test recorders don't);
	// the server's ReadTimeout still applies then.
	_ = http.NewResponseController(conn).SetReadDeadline(time.Now().Add(bodyReadTimeout))
	buf := bodyBuffer{budget: s.bodyBudget, limit: maxBodyBytes}
	if r.ContentLength >= 0 {
		buf.limit = r.ContentLength
	}
	err = buf.readFrom(http.MaxBytesReader(conn, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, errBodyBudget):
		s.metrics.Rejected(metrics.BodyMemory)
		return buf.held, serverBusy()
	case errors.As(err, &tooLarge):
		return buf.held, bodyTooLarge()
	case errors.Is(err, errLongerThanAnnounced):
		return buf.held, problem.Malformed("The request body is longer than its Content-Length.")
	case err != nil:
		return buf.held, &problem.Problem{Status: http.StatusRequestTimeout, Title: "The request body could not be read in time.", NoCode: true}
	}
	r.Body = &memoryBody{Reader: bytes.NewReader(buf.data), data: buf.data}
	return buf.held, nil
}

func bodyTooLarge() *problem.Problem {
	return problem.New(http.StatusRequestEntityTooLarge, "", fmt.Sprintf("The request body is larger than %d bytes.", maxBodyBytes))
}

// bodyBytes returns the request body, which readBody has read into
// memory; it may be called more than once.
func bodyBytes(r *http.Request) ([]byte, error) {
	if m, ok := r.Body.(*memoryBody); ok {
		return m.data, nil
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = &memoryBody{Reader: bytes.NewReader(data), data: data}
	return data, nil
}
