// Package systemtest holds tests that build the real server binary
// (cmd/passwordless), run it as a separate process on a loopback port and
// drive it over HTTP: crash consistency under SIGKILL, request limits and
// timeouts, graceful shutdown, magic links over SMTP with STARTTLS and
// AUTH, and the hygiene of its logs and headers.
//
// The package has no non-test code; run it with
//
//	go test ./internal/systemtest
//
// and the durability benchmarks with
//
//	go test -run '^$' -bench . ./internal/systemtest
package systemtest
