package useragent

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDevice(t *testing.T) {
	tests := []struct{ ua, want string }{
		{"", ""},
		{"Mozilla/5.0 (Linux; Android 1400000000000000000000)", "Other, Android 1400"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome, Mac OS X 10"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox, Windows 10"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0", "Edge, Windows 10"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Mobile Safari, iOS 17"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", "Chrome Mobile, Android 14"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", "HeadlessChrome, Linux"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", "Safari, Mac OS X 14"},
		{"curl/8.0", "Other, Other"},
	}
	for _, tt := range tests {
		if got := Device(tt.ua); got != tt.want {
			t.Errorf("Device(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
}

// FuzzDevice: any header gives a short, valid UTF-8 label made of the
// known parts, and only an empty header gives none.
func FuzzDevice(f *testing.F) {
	for _, ua := range []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
		"Android 123456789012345678901234567890", "Windows NT 99999999.1", "\xff\xfe", " ", "",
	} {
		f.Add(ua)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		d := Device(ua)
		if (d == "") != (strings.TrimSpace(ua) == "") {
			t.Fatalf("Device(%q) = %q", ua, d)
		}
		if len(d) > 48 || !utf8.ValidString(d) {
			t.Fatalf("Device(%q) = %q: too long or not UTF-8", ua, d)
		}
	})
}
