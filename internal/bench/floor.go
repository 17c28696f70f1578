package bench

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"runtime"
	"syscall"
	"time"
)

// Floor is the cost of one signature verification on this machine.
type Floor struct {
	Alg         string  `json:"alg"`
	Iterations  int     `json:"iterations"`
	NsPerVerify float64 `json:"nsPerVerify"` // thread CPU time per verification
	// WallNsPerVerify is elapsed time per verification; above NsPerVerify
	// when other processes compete for the CPU.
	WallNsPerVerify float64 `json:"wallNsPerVerify"`
}

// MeasureFloor times single-goroutine verifications of one signature of
// alg ("ES256": P-256 ECDSA over SHA-256; "EdDSA": Ed25519) for at least
// d, the way a server verifies an assertion (hash included).
func MeasureFloor(alg string, d time.Duration) Floor {
	msg := make([]byte, 37+32) // authenticatorData || SHA-256(clientDataJSON)
	rand.Read(msg)
	var verify func() bool
	switch alg {
	case "EdDSA":
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		sig := ed25519.Sign(priv, msg)
		verify = func() bool { return ed25519.Verify(pub, msg, sig) }
	default:
		alg = "ES256"
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		h := sha256.Sum256(msg)
		sig, _ := ecdsa.SignASN1(rand.Reader, k, h[:])
		verify = func() bool {
			h := sha256.Sum256(msg)
			return ecdsa.VerifyASN1(&k.PublicKey, h[:], sig)
		}
	}
	for range 50 { // warm caches and precomputed tables
		verify()
	}
	// CPU time of this thread, not wall time: other processes on the
	// machine must not inflate the floor (the server's cost is CPU time
	// too).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n := 0
	start, cpu0 := time.Now(), threadCPU()
	for time.Since(start) < d || n < 200 {
		for range 50 {
			if !verify() {
				panic("bench: floor signature does not verify")
			}
		}
		n += 50
	}
	wall, cpu := time.Since(start), threadCPU()-cpu0
	f := Floor{Alg: alg, Iterations: n, NsPerVerify: float64(cpu.Nanoseconds()) / float64(n),
		WallNsPerVerify: float64(wall.Nanoseconds()) / float64(n)}
	if cpu <= 0 {
		f.NsPerVerify = f.WallNsPerVerify
	}
	return f
}

// threadCPU is the CPU time used by the calling OS thread.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD (Linux)
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
