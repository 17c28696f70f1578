package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

// runCLI runs the command line as the binary would and returns its exit
// code and output.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = exitCode(run(args, noEnv, &out, &errOut), &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"help", "--help"}} {
		code, out, errOut := runCLI(args...)
		if code != 0 || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		for _, c := range commands {
			if !strings.Contains(out, "\n  "+c.name+" ") {
				t.Errorf("%v: the list has no line for %s:\n%s", args, c.name, out)
			}
		}
	}
}

func TestCommandHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"serve", "--help"}, []string{"usage: passwordless serve", "-addr", "PASSWORDLESS_ADDR", "-dev",
			"PASSWORDLESS_CONSOLE ", "PASSWORDLESS_CONSOLE_URL", "PASSWORDLESS_DEMO_CLIENT_URL", "PASSWORDLESS_DEMO_CLIENT_INTEGRITY"}},
		{[]string{"serve", "--dev", "-h"}, []string{"-management-key", "PASSWORDLESS_CONSOLE_URL"}},
		{[]string{"help", "serve"}, []string{"-smtp-host", "PASSWORDLESS_DEMO_CLIENT_URL"}},
		{[]string{"migrate", "--help"}, []string{"usage: passwordless migrate", "-database"}},
		{[]string{"export", "-help"}, []string{"-app", "-out", "-database"}},
		{[]string{"import", "--help"}, []string{"-in", "-database"}},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(tt.args...)
		if code != 0 || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q", tt.args, code, errOut)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: no %q in\n%s", tt.args, w, out)
			}
		}
		if strings.Contains(out, "Usage of ") {
			t.Errorf("%v: the flag package's heading is left in:\n%s", tt.args, out)
		}
	}
	// Only serve reads the console's settings.
	if _, out, _ := runCLI("migrate", "--help"); strings.Contains(out, "PASSWORDLESS_CONSOLE") {
		t.Errorf("migrate lists the console's settings:\n%s", out)
	}
}

func TestWrongCommandLines(t *testing.T) {
	tests := []struct {
		args       []string
		wantStderr string
	}{
		{nil, "usage: passwordless"},
		{[]string{"serv"}, `unknown command "serv"`},
		{[]string{"serve", "--no-such-flag"}, `passwordless serve --help`},
		{[]string{"export"}, "usage: passwordless export"},
		{[]string{"help", "nonsense"}, `unknown command "nonsense"`},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(tt.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tt.wantStderr) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q on stderr", tt.args, code, out, errOut, tt.wantStderr)
		}
	}
	if code, _, errOut := runCLI("serv"); !strings.Contains(errOut, "  serve ") {
		t.Errorf("an unknown command does not print the commands (exit %d):\n%s", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		if code, out, _ := runCLI(arg); code != 0 || out != version+"\n" {
			t.Errorf("%s: exit %d, %q", arg, code, out)
		}
	}
}

// Help lists the built-in defaults, never values of the environment,
// which may be secrets; nor does a wrong flag print them.
func TestHelpShowsNoEnvironmentValues(t *testing.T) {
	secrets := map[string]string{
		"PASSWORDLESS_MANAGEMENT_KEY": "mk-secret-0123456789abcdef",
		"PASSWORDLESS_SMTP_PASSWORD":  "smtp-secret-password",
		"PASSWORDLESS_DATABASE":       "postgres://u:db-secret-password@db.example/p",
	}
	env := func(k string) string { return secrets[k] }
	for _, args := range [][]string{{"serve", "--help"}, {"migrate", "--help"}, {"export", "--help"}, {"import", "--help"}, {"serve", "--bogus"}} {
		var out, errOut bytes.Buffer
		exitCode(run(args, env, &out, &errOut), &errOut)
		for _, v := range secrets {
			if strings.Contains(out.String()+errOut.String(), v) {
				t.Errorf("%v prints %q:\n%s%s", args, v, &out, &errOut)
			}
		}
	}
}

// A port in use is the first and only thing reported: no banner, no setup
// link, no database or mail folder created.
func TestServeReportsAPortInUseFirst(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	db, mailDir := filepath.Join(dir, "passwordless.db"), filepath.Join(dir, "mail")
	env := func(k string) string { return map[string]string{"PASSWORDLESS_MAIL_DIR": mailDir}[k] }
	var out, errOut bytes.Buffer
	err = serve(context.Background(), []string{"--dev", "--addr", taken.Addr().String(), "--database", db}, env, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), taken.Addr().String()) || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("error %v; want one naming %s as in use", err, taken.Addr())
	}
	if out.Len() != 0 || errOut.Len() != 0 {
		t.Errorf("printed before the port error:\nstdout: %s\nstderr: %s", &out, &errOut)
	}
	for _, p := range []string{db, mailDir} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was created before the port error (%v)", p, err)
		}
	}
}

// syncBuffer is written by the server while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// On a loopback or wildcard address the log names the localhost URLs of
// the console and the demo, which WebAuthn accepts, not the IP address.
func TestServeLogsLocalhostURLs(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "[::1]", ""} {
		t.Run(host, func(t *testing.T) {
			if host == "[::1]" {
				if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
					t.Skip("no IPv6 loopback")
				} else {
					ln.Close()
				}
			}
			dir := t.TempDir()
			env := func(k string) string {
				return map[string]string{"PASSWORDLESS_MAIL_DIR": filepath.Join(dir, "mail")}[k]
			}
			ctx, cancel := context.WithCancel(context.Background())
			var out, errOut syncBuffer
			done := make(chan error, 1)
			go func() {
				done <- serve(ctx, []string{"--dev", "--addr", host + ":0", "--database", filepath.Join(dir, "p.db")}, env, &out, &errOut)
			}()
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(errOut.String(), "listening") && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			line := errOut.String()[strings.Index(errOut.String(), "msg=listening"):]
			line, _, _ = strings.Cut(line, "\n")
			for _, w := range []string{"addr=", "url=http://localhost:", "console=http://localhost:", "/console demo=http://localhost:", "/console/demo"} {
				if !strings.Contains(line, w) {
					t.Errorf("no %q in the listening line %q", w, line)
				}
			}
			if urls := line[strings.Index(line, "url="):]; strings.Contains(urls, "127.0.0.1") || strings.Contains(urls, "[::") {
				t.Errorf("the listening line's URLs name an IP address: %q", line)
			}
			if !strings.Contains(out.String(), "http://localhost:") {
				t.Errorf("the setup link does not use localhost:\n%s", out.String())
			}
		})
	}
}
