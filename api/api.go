// Package api holds the OpenAPI 3.1 document of the HTTP API
// (openapi.json), which the server serves at GET /openapi.json. The tests
// of package httpapi hold it to the route table and validate every
// response they record against it.
package api

import _ "embed"

// OpenAPI is the OpenAPI document, as JSON.
//
//go:embed openapi.json
var OpenAPI []byte
