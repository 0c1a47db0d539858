package sshexec_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orbos/orbos/internal/redact"
	"github.com/orbos/orbos/internal/sshexec"
	"github.com/orbos/orbos/test/testenv"
)

func target(h *testenv.Host) sshexec.Target {
	return sshexec.Target{Name: h.Name, Address: h.Address, Port: h.Port, User: "root", PrivateKey: h.ClientKey}
}

func needHosts(t *testing.T) {
	if os.Getenv(testenv.SkipEnv) == "1" {
		t.Skip(testenv.SkipEnv + "=1: skipping a test that needs sshd test hosts")
	}
}

func TestRunUploadAndHostKeyPinning(t *testing.T) {
	needHosts(t)
	h := testenv.StartHost(t, "m1", testenv.HostOptions{Address: "127.0.0.21"})
	ctx := context.Background()
	red := &redact.Redactor{}
	red.Add("hunter2-secret")

	// First use: no pinned key, the presented one is returned to be kept.
	c, err := sshexec.Dial(ctx, target(h), sshexec.Options{Redactor: red})
	if err != nil {
		t.Fatal(err)
	}
	if c.HostKey() != h.HostKey {
		t.Fatalf("host key %q, want %q", c.HostKey(), h.HostKey)
	}
	res, err := c.Run(ctx, "# step: greet\necho out; echo err >&2; echo hunter2-secret")
	if err != nil {
		t.Fatal(err)
	}
	// Stdout is the caller's data (a join token to parse), not redacted; errors are.
	if res.Stdout != "out\nhunter2-secret\n" || res.Stderr != "err\n" {
		t.Fatalf("stdout %q stderr %q", res.Stdout, res.Stderr)
	}

	// A failing script: its step, exit code and stderr (redacted) in the error.
	_, err = c.Run(ctx, "# step: break things\necho 'no space left; token hunter2-secret' >&2; exit 3")
	var ce *sshexec.CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 3 || !strings.Contains(err.Error(), "machine m1: break things failed with exit code 3") ||
		!strings.Contains(err.Error(), "no space left") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}

	// Upload: parents created, mode set, content exact; readable back.
	content := []byte("line 1\nit's 'quoted'\n")
	if err := c.Upload(ctx, "/etc/orbos/dir with space/f.conf", content, 0o640); err != nil {
		t.Fatal(err)
	}
	res, err = c.Run(ctx, "stat -c %a '/etc/orbos/dir with space/f.conf'; cat '/etc/orbos/dir with space/f.conf'")
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "640\n"+string(content) {
		t.Fatalf("uploaded file reads %q", res.Stdout)
	}
	if got := h.File("/etc/orbos/dir with space/f.conf"); got != string(content) {
		t.Fatalf("the file is not in the host's own layer: %q", got)
	}
	// A cancelled command stops.
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := c.Run(cctx, "sleep 30"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a command past its deadline: %v", err)
	}
	c.Close()

	// Pinned and matching: fine. The host reinstalled with a new key: refused, naming the machine.
	pinned := target(h)
	pinned.HostKey = h.HostKey
	c, err = sshexec.Dial(ctx, pinned, sshexec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	h.Stop()
	if err := h.NewHostKey(); err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	_, err = sshexec.Dial(ctx, pinned, sshexec.Options{Attempts: 3})
	var hk *sshexec.HostKeyError
	if !errors.As(err, &hk) || !strings.Contains(err.Error(), "machine m1") || !strings.Contains(err.Error(), "not the pinned") {
		t.Fatalf("a changed host key: %v", err)
	}
}

// Connection errors are tried again with backoff; a host that comes up in the meantime is reached.
func TestRetriesConnectionErrorsOnly(t *testing.T) {
	needHosts(t)
	h := testenv.StartHost(t, "m2", testenv.HostOptions{Address: "127.0.0.22"})
	h.Stop()
	ctx := context.Background()
	go func() {
		time.Sleep(700 * time.Millisecond)
		_ = h.Start()
	}()
	c, err := sshexec.Dial(ctx, target(h), sshexec.Options{Attempts: 6, Backoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("no retry until the host came up: %v", err)
	}
	c.Close()

	// A wrong key is not retried: retries end in a ConnectError, this is an authentication error.
	other := testenv.StartHost(t, "m3", testenv.HostOptions{Address: "127.0.0.23"})
	bad := target(h)
	bad.PrivateKey = other.ClientKey
	_, err = sshexec.Dial(ctx, bad, sshexec.Options{Attempts: 5, Backoff: time.Second})
	var ce *sshexec.ConnectError
	if err == nil || errors.As(err, &ce) || !strings.Contains(err.Error(), "logging in as root") {
		t.Fatalf("a refused key: %v", err)
	}

	// Nobody listening at all: a ConnectError after the attempts.
	l, _ := net.Listen("tcp", "127.0.0.24:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	gone := sshexec.Target{Name: "gone", Address: "127.0.0.24", Port: port, User: "root", PrivateKey: h.ClientKey}
	_, err = sshexec.Dial(ctx, gone, sshexec.Options{Attempts: 2, Backoff: 10 * time.Millisecond})
	if !errors.As(err, &ce) || ce.Attempts != 2 || !strings.Contains(err.Error(), "machine gone") {
		t.Fatalf("an unreachable machine: %v", err)
	}
}

// A non-root login runs scripts and uploads as root through sudo.
func TestSudoForNonRootUsers(t *testing.T) {
	needHosts(t)
	h := testenv.StartHost(t, "m4", testenv.HostOptions{Address: "127.0.0.25", User: "orbos"})
	tg := target(h)
	tg.User = "orbos"
	c, err := sshexec.Dial(context.Background(), tg, sshexec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Run(context.Background(), "id -un; echo $SUDO_USER")
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "root\norbos\n" {
		t.Fatalf("a script of a non-root user ran as %q", res.Stdout)
	}
	if err := c.Upload(context.Background(), "/etc/orbos/owned", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Run(context.Background(), "stat -c '%U %a' /etc/orbos/owned"); err != nil || res.Stdout != "root 600\n" {
		t.Fatalf("upload as a non-root user: %q %v", res.Stdout, err)
	}
	// Stream runs as the login user itself.
	var out strings.Builder
	if code, err := c.Stream(context.Background(), "id -un; exit 7", nil, &out, &out); err != nil || code != 7 || out.String() != "orbos\n" {
		t.Fatalf("stream: %d %v %q", code, err, out.String())
	}
}

// ScanHostKey reads the key a machine presents without logging in (no client key at all); its
// fingerprint is ssh-keygen's.
func TestScanHostKey(t *testing.T) {
	needHosts(t)
	h := testenv.StartHost(t, "m5", testenv.HostOptions{Address: "127.0.0.25"})
	got, err := sshexec.ScanHostKey(context.Background(), h.Address, h.Port, 5*time.Second)
	if err != nil || got != h.HostKey {
		t.Fatalf("scanned %q (%v), the host presents %q", got, err, h.HostKey)
	}
	fp, err := sshexec.Fingerprint(got)
	if err != nil || !strings.HasPrefix(fp, "SHA256:") || len(fp) != len("SHA256:")+43 {
		t.Fatalf("fingerprint %q %v", fp, err)
	}
	if _, err := sshexec.ScanHostKey(context.Background(), h.Address, 1, time.Second); err == nil {
		t.Fatal("a closed port presented a key")
	}
}
