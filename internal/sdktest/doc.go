// Package sdktest drives the Go SDK (module sdk/go) against the real API
// handler in process: every method, successes and failures, over HTTP.
package sdktest
