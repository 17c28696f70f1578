package passwordless

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestTimeReadsEveryStyleAsUTC(t *testing.T) {
	want := time.Date(2024, 5, 1, 10, 11, 12, 123456700, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{`"2024-05-01T10:11:12.1234567Z"`, want},
		{`"2024-05-01T10:11:12.1234567"`, want},
		{`"2024-05-01T12:11:12.1234567+02:00"`, want},
		{`"2024-05-01"`, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
		{`null`, time.Time{}},
	} {
		var got Time
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if !got.Equal(tc.want) || (!got.IsZero() && got.Location() != time.UTC) {
			t.Errorf("%s = %v, want %v", tc.in, got.Time, tc.want)
		}
	}
	var bad Time
	if err := json.Unmarshal([]byte(`"yesterday"`), &bad); err == nil {
		t.Error("a word was read as a time")
	}
}

func TestTimeSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Minute:                        "00:02:00",
		90*time.Minute + 1500*time.Millisecond: "01:30:02",
		7 * 24 * time.Hour:                     "7.00:00:00",
		26*time.Hour + 5*time.Second:           "1.02:00:05",
	} {
		if got := timeSpan(d); got != want {
			t.Errorf("timeSpan(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestSecondsRoundsUp(t *testing.T) {
	for d, want := range map[time.Duration]int64{0: 0, time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2} {
		if got := seconds(d); got != want {
			t.Errorf("seconds(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestProblemFromAnswers(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		body        string
		want        Problem
		extension   string
	}{
		{"application problem", 400, "application/problem+json",
			`{"type":"t","title":"We don't recognize the passkey you sent us.","status":400,"errorCode":"unknown_credential","credentialId":"abc"}`,
			Problem{Status: 400, Type: "t", Title: "We don't recognize the passkey you sent us.", ErrorCode: "unknown_credential"}, "credentialId"},
		{"null errorCode", 403, "application/problem+json; charset=utf-8",
			`{"type":"t#","title":"off","status":403,"errorCode":null}`,
			Problem{Status: 403, Type: "t#", Title: "off"}, ""},
		{"empty body", 404, "", "", Problem{Status: 404, Title: "Not Found"}, ""},
		{"proxy page", 502, "text/html", "<h1>bad gateway</h1>", Problem{Status: 502, Title: "Bad Gateway", Detail: "<h1>bad gateway</h1>"}, ""},
		{"document status differs", 429, "application/problem+json", `{"status":200,"title":"slow down"}`, Problem{Status: 429, Title: "slow down"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {tc.contentType}}}
			p := newProblem(res, []byte(tc.body))
			if p.Status != tc.want.Status || p.Type != tc.want.Type || p.Title != tc.want.Title || p.ErrorCode != tc.want.ErrorCode || p.Detail != tc.want.Detail {
				t.Errorf("problem = %+v, want %+v", *p, tc.want)
			}
			if _, ok := p.Extensions[tc.extension]; tc.extension != "" && !ok {
				t.Errorf("extension %q missing: %v", tc.extension, p.Extensions)
			}
		})
	}
}
