package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// benchCreds returns n credentials of app with realistic field sizes.
func benchCreds(app string, from, n int) []store.Credential {
	now := time.Now().UTC().Truncate(time.Microsecond)
	creds := make([]store.Credential, n)
	for i := range creds {
		id := fmt.Appendf(nil, "credential-id-%012d-padding-to-32b", from+i)
		creds[i] = store.Credential{
			AppID: app, ID: id, UserID: fmt.Sprintf("user-%d", (from+i)/2),
			UserHandle: fmt.Appendf(nil, "user-%d", (from+i)/2), PublicKey: make([]byte, 77),
			SignCount: 1, AttestationFmt: "none", AAGUID: make([]byte, 16),
			CreatedAt: now, LastUsedAt: now, RPID: "example.com", Origin: "https://example.com",
			Country: "SE", Device: "Firefox, Windows 11", Nickname: "laptop",
			BackupEligible: true, BackupState: true, Transports: []string{"internal", "hybrid"},
		}
	}
	return creds
}

// BenchmarkImportCredentials imports batches of 5000 credentials into a
// growing table and reports rows per second.
func BenchmarkImportCredentials(b *testing.B) {
	b.ReportAllocs()
	const batch = 5000
	srv := testServer(b)
	s := openStore(b, srv.CreateDB(b))
	ctx := b.Context()
	if err := s.CreateApp(ctx, store.App{ID: "bench", CreatedAt: time.Now()}, nil); err != nil {
		b.Fatal(err)
	}
	next := 0
	for b.Loop() {
		b.StopTimer()
		creds := benchCreds("bench", next, batch)
		next += batch
		b.StartTimer()
		if err := s.ImportCredentials(ctx, creds); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(next)/b.Elapsed().Seconds(), "rows/s")
}
