// Package problem defines the server's single error type. Every failure a
// client may see is a *Problem; the HTTP layer renders it as an RFC 7807
// document (application/problem+json) in one place. Domain packages build
// problems with the constructors here and never write HTTP responses.
package problem

import (
	"fmt"
	"net/http"
)

// DocsBase is the prefix of the "type" member of application errors. The
// official clients show it to developers, so it points at the same error
// documentation the original server links to.
const DocsBase = "https://docs.passwordless.dev/guide/errors.html#"

// ValidationType is the "type" of validation and request-binding problems.
const ValidationType = "https://tools.ietf.org/html/rfc9110#section-15.5.1"

// Problem is an error with everything needed to answer a request: the
// HTTP status, the wire errorCode (empty renders as null) and a title. The
// cause, when set, is logged but never shown.
type Problem struct {
	Status int
	Code   string
	Title  string
	Detail string
	// Type overrides the default "type" URL.
	Type string
	// Errors holds per-field messages of a validation problem, keyed by the
	// camelCase field name.
	Errors map[string][]string
	// Extra members rendered at the top level (e.g. "credentialId").
	Extra map[string]any
	// Header is added to the response (e.g. WWW-Authenticate).
	Header http.Header
	// NoCode omits the errorCode member altogether (authentication and
	// framework problems have none on the wire).
	NoCode bool
	cause  error
}

// Error implements error.
func (p *Problem) Error() string {
	if p.cause != nil {
		return fmt.Sprintf("%d %s: %s: %v", p.Status, p.Code, p.Title, p.cause)
	}
	return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Title)
}

// Unwrap returns the internal cause.
func (p *Problem) Unwrap() error { return p.cause }

// WithCause returns a copy of p that records err as its (logged) cause.
func (p *Problem) WithCause(err error) *Problem {
	c := *p
	c.cause = err
	return &c
}

// TypeURL returns the "type" member.
func (p *Problem) TypeURL() string {
	if p.Type != "" {
		return p.Type
	}
	return DocsBase + p.Code
}

// New returns an application problem (the original server's ApiException).
// An empty code renders as "errorCode": null with a type ending in '#'.
func New(status int, code, title string) *Problem {
	return &Problem{Status: status, Code: code, Title: title}
}

// BadRequest is a 400 application problem.
func BadRequest(code, title string) *Problem { return New(http.StatusBadRequest, code, title) }

// Validation returns the 400 validation problem for the given field errors.
func Validation(errs map[string][]string) *Problem {
	return &Problem{
		Status: http.StatusBadRequest,
		Title:  "One or more validation errors occurred.",
		Type:   ValidationType,
		Errors: errs,
		NoCode: true,
	}
}

// Field returns a validation problem for a single field.
func Field(field, message string) *Problem {
	return Validation(map[string][]string{field: {message}})
}

// Malformed is a 400 for a request that cannot be read at all (bad JSON,
// wrong types, missing required query parameters).
func Malformed(title string) *Problem {
	return &Problem{Status: http.StatusBadRequest, Title: title, Type: ValidationType, NoCode: true}
}

// NoEndpoint is the 404 of a path no endpoint serves. The original
// answered with an empty body; its errorCode and type are ours, the type
// being the status's definition (a bare docs link would end in '#').
func NoEndpoint(title string) *Problem {
	return &Problem{Status: http.StatusNotFound, Code: "not_found", Title: title,
		Type: "https://tools.ietf.org/html/rfc9110#section-15.5.5"}
}

// MethodNotAllowed is the 405 of an endpoint asked with a method it does
// not serve; see NoEndpoint.
func MethodNotAllowed(title string) *Problem {
	return &Problem{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Title: title,
		Type: "https://tools.ietf.org/html/rfc9110#section-15.5.6"}
}

// Internal is the 500 problem. Its cause is logged; the body says nothing
// about it.
func Internal(cause error) *Problem {
	return &Problem{
		Status: http.StatusInternalServerError,
		Title:  "An error occurred while processing your request.",
		Detail: "The api has encountered an error",
		Type:   "https://tools.ietf.org/html/rfc9110#section-15.6.1",
		NoCode: true,
		cause:  cause,
	}
}
