package bench

import "testing"

func TestHTTPClientConnectsOnlyToLoopback(t *testing.T) {
	tests := []struct {
		address string
		ok      bool
	}{
		{"127.0.0.1:80", true},
		{"127.8.9.10:5701", true},
		{"[::1]:443", true},
		{"10.0.0.1:80", false},
		{"[2001:db8::1]:80", false},
		{"0.0.0.0:80", false},
		{"localhost:80", false}, // the dialer sees resolved addresses only
		{"no-port", false},
	}
	for _, tt := range tests {
		if err := loopbackOnly("tcp", tt.address, nil); (err == nil) != tt.ok {
			t.Errorf("loopbackOnly(%q) = %v, want allowed=%v", tt.address, err, tt.ok)
		}
	}
}
