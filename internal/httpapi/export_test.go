package httpapi

import "slices"

// Endpoints returns the route table: every "METHOD /pattern" the server
// routes, in registration order.
func Endpoints(s *Server) []string { return slices.Clone(s.endpoints) }
