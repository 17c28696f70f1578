// Package useragent turns a User-Agent header into the short device label
// stored with credentials and returned in verify tokens, in the original
// server's format: "<browser family>, <OS family> <OS major>", for example
// "Chrome, Mac OS X 10" or "Firefox, Windows 10".
package useragent

import (
	"regexp"
	"strings"
)

type rule struct {
	re     *regexp.Regexp
	family string // "" means: use the first capture group
}

// Browser rules, most specific first (Edge and Opera also say "Chrome").
var browsers = []rule{
	{regexp.MustCompile(`HeadlessChrome/`), "HeadlessChrome"},
	{regexp.MustCompile(`Edg(?:e|A|iOS)?/`), "Edge"},
	{regexp.MustCompile(`OPR/`), "Opera"},
	{regexp.MustCompile(`SamsungBrowser/`), "Samsung Internet"},
	{regexp.MustCompile(`CriOS/`), "Chrome Mobile iOS"},
	{regexp.MustCompile(`FxiOS/`), "Firefox iOS"},
	{regexp.MustCompile(`Android.*Chrome/`), "Chrome Mobile"},
	{regexp.MustCompile(`Chrome/`), "Chrome"},
	{regexp.MustCompile(`Firefox/`), "Firefox"},
	{regexp.MustCompile(`(?:iPhone|iPad).*Version/.*Mobile.*Safari/`), "Mobile Safari"},
	{regexp.MustCompile(`Version/.*Safari/`), "Safari"},
}

// OS version patterns. Versions are at most four digits, so that the
// label stored with a credential stays short whatever the header says.
var (
	windowsNT = regexp.MustCompile(`Windows NT (\d{1,4})\.(\d{1,4})`)
	macOS     = regexp.MustCompile(`Mac OS X (\d{1,4})`)
	iOS       = regexp.MustCompile(`(?:iPhone|iPad|iPod).*? OS (\d{1,4})`)
	android   = regexp.MustCompile(`Android (\d{1,4})`)
)

// Device returns the device label for a User-Agent, or "" if it is empty.
func Device(ua string) string {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return ""
	}
	return browser(ua) + ", " + os(ua)
}

func browser(ua string) string {
	for _, r := range browsers {
		if r.re.MatchString(ua) {
			return r.family
		}
	}
	return "Other"
}

func os(ua string) string {
	if m := windowsNT.FindStringSubmatch(ua); m != nil {
		return "Windows " + windowsName(m[1], m[2])
	}
	if m := iOS.FindStringSubmatch(ua); m != nil {
		return "iOS " + m[1]
	}
	if m := macOS.FindStringSubmatch(ua); m != nil {
		return "Mac OS X " + m[1]
	}
	if m := android.FindStringSubmatch(ua); m != nil {
		return "Android " + m[1]
	}
	switch {
	case strings.Contains(ua, "CrOS"):
		return "Chrome OS"
	case strings.Contains(ua, "Linux"):
		return "Linux"
	}
	return "Other"
}

// windowsName maps NT versions to marketing names as ua-parser does.
func windowsName(major, minor string) string {
	switch major + "." + minor {
	case "10.0":
		return "10"
	case "6.3":
		return "8.1"
	case "6.2":
		return "8"
	case "6.1":
		return "7"
	}
	return "NT " + major + "." + minor
}
