package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Server is a server process started by the load generator.
type Server struct {
	URL           string
	ManagementKey string
	cmd           *exec.Cmd
	done          chan error
}

// SpawnConfig says how to start a server.
type SpawnConfig struct {
	Binary   string // path of the passwordless binary
	Database string
	LogFile  io.Writer // server's stdout and stderr; nil: discarded
	ExtraEnv []string
}

// BuildServer compiles ./cmd/passwordless of the module in dir into a
// temporary directory and returns the binary's path.
func BuildServer(ctx context.Context, dir string) (string, error) {
	out, err := os.MkdirTemp("", "passwordless-bench-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(out, "passwordless")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/passwordless")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build server: %w", err)
	}
	return bin, nil
}

// Spawn starts the server on a free loopback port with the public rate
// limit disabled and waits until it answers.
func Spawn(ctx context.Context, c SpawnConfig) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	var kb [16]byte
	rand.Read(kb[:])
	s := &Server{URL: "http://" + addr, ManagementKey: "bench-" + hex.EncodeToString(kb[:]), done: make(chan error, 1)}
	cmd := exec.Command(c.Binary, "serve")
	cmd.Env = append(os.Environ(),
		"PASSWORDLESS_ADDR="+addr,
		"PASSWORDLESS_DATABASE="+c.Database,
		"PASSWORDLESS_MANAGEMENT_KEY="+s.ManagementKey,
		"PASSWORDLESS_PUBLIC_RATE_LIMIT=0",
		"PASSWORDLESS_LOG_LEVEL=warn",
		"PASSWORDLESS_MAIL_DIR="+os.TempDir(),
	)
	cmd.Env = append(cmd.Env, c.ExtraEnv...)
	if c.LogFile != nil {
		cmd.Stdout, cmd.Stderr = c.LogFile, c.LogFile
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	s.cmd = cmd
	go func() { s.done <- cmd.Wait() }()
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("server exited during start-up: %v", err)
		default:
		}
		if res, err := hc.Get(s.URL + "/health/http"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("server did not answer within 60s")
		}
		select {
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop asks the server to shut down and waits up to 20 s before killing it.
func (s *Server) Stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		return err
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		return <-s.done
	}
}
