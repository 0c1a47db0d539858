// Package sshexec runs scripts on machines over SSH: key authentication, host keys pinned (given,
// or trusted on first use and then kept by the caller), sudo for non-root users, timeouts, retries
// with backoff for connection errors only, output captured with secrets redacted, and file upload.
package sshexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/orbos/orbos/internal/redact"
)

// Target is a machine and how to log in to it.
type Target struct {
	// Name identifies the machine in errors.
	Name    string
	Address string
	Port    int
	User    string
	// PrivateKey is the PEM private key that logs in.
	PrivateKey string
	// HostKey pins the machine's host key (authorized_keys form). Empty: trust the key presented on
	// first use; HostKey() returns it so that the caller can keep it.
	HostKey string
}

// Options tune a connection; zero values take the defaults.
type Options struct {
	// ConnectTimeout bounds one connection attempt (default 10s).
	ConnectTimeout time.Duration
	// Attempts is how often a connection error is tried again, in all (default 4).
	Attempts int
	// Backoff is the first pause between attempts; it doubles each time (default 500ms).
	Backoff time.Duration
	// Redactor masks secrets in errors (a failed command's stderr included). Stdout is the
	// caller's data, returned as it is: callers parse it (tokens, kubeconfigs) and never print it.
	Redactor *redact.Redactor
}

// Executor runs commands on one machine; *Client implements it over SSH.
type Executor interface {
	// Run runs a bash script (as root: through sudo unless the user is root) and returns its output.
	// A non-zero exit is a *CommandError.
	Run(ctx context.Context, script string) (Result, error)
	// Upload writes content to path on the machine with mode, as root, creating parent directories.
	Upload(ctx context.Context, path string, content []byte, mode uint32) error
	// HostKey is the host key the machine presented (authorized_keys form).
	HostKey() string
	Close() error
}

// Result is what a command printed.
type Result struct {
	Stdout, Stderr string
}

// HostKeyError is a machine presenting another host key than the pinned one.
type HostKeyError struct {
	Machine, Address, Presented, Pinned string
}

func (e *HostKeyError) Error() string {
	return fmt.Sprintf("machine %s at %s presents the host key %s, not the pinned %s: it was replaced or the connection is intercepted; if it was reinstalled on purpose, accept its new key with `orbctl node trust %s` (or `orbctl node replace %s`)",
		e.Machine, e.Address, e.Presented, e.Pinned, e.Machine, e.Machine)
}

// CommandError is a script that failed on a machine.
type CommandError struct {
	Machine  string
	Step     string
	ExitCode int
	Stderr   string
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("machine %s: %s failed with exit code %d", e.Machine, e.Step, e.ExitCode)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ":\n" + indent(tail(s, 20))
	}
	return msg
}

// ConnectError is a machine that could not be reached after all attempts.
type ConnectError struct {
	Machine, Address string
	Attempts         int
	Err              error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("machine %s at %s is unreachable after %d attempts: %v", e.Machine, e.Address, e.Attempts, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// Client is an SSH connection to one machine.
type Client struct {
	target  Target
	conn    *ssh.Client
	hostKey string
	red     *redact.Redactor
}

var _ Executor = (*Client)(nil)

// Dial connects to the machine. Connection errors (refused, reset, timed out) are tried again with
// backoff; authentication and host-key errors are not: they would fail the same way again.
func Dial(ctx context.Context, t Target, o Options) (*Client, error) {
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.Attempts == 0 {
		o.Attempts = 4
	}
	if o.Backoff == 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if t.Port == 0 {
		t.Port = 22
	}
	signer, err := ssh.ParsePrivateKey([]byte(t.PrivateKey))
	if err != nil {
		return nil, fmt.Errorf("machine %s: the SSH private key is not usable: %w", t.Name, err)
	}
	var pinned ssh.PublicKey
	if t.HostKey != "" {
		if pinned, _, _, _, err = ssh.ParseAuthorizedKey([]byte(t.HostKey)); err != nil {
			return nil, fmt.Errorf("machine %s: the pinned host key is not in authorized_keys format: %w", t.Name, err)
		}
	}
	addr := net.JoinHostPort(t.Address, strconv.Itoa(t.Port))
	c := &Client{target: t, red: o.Redactor}
	cfg := &ssh.ClientConfig{
		User: t.User,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			c.hostKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
			if pinned != nil && !bytes.Equal(pinned.Marshal(), key.Marshal()) {
				return &HostKeyError{Machine: t.Name, Address: addr, Presented: ssh.FingerprintSHA256(key), Pinned: ssh.FingerprintSHA256(pinned)}
			}
			return nil
		},
		Timeout: o.ConnectTimeout,
	}
	backoff := o.Backoff
	for attempt := 1; ; attempt++ {
		conn, err := dial(ctx, addr, cfg, o.ConnectTimeout)
		if err == nil {
			c.conn = conn
			return c, nil
		}
		var hk *HostKeyError
		if errors.As(err, &hk) {
			return nil, hk
		}
		if !retryable(err) {
			return nil, fmt.Errorf("machine %s at %s: logging in as %s: %w", t.Name, addr, t.User, err)
		}
		if attempt >= o.Attempts || ctx.Err() != nil {
			return nil, &ConnectError{Machine: t.Name, Address: addr, Attempts: attempt, Err: err}
		}
		select {
		case <-ctx.Done():
			return nil, &ConnectError{Machine: t.Name, Address: addr, Attempts: attempt, Err: ctx.Err()}
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

func dial(ctx context.Context, addr string, cfg *ssh.ClientConfig, timeout time.Duration) (*ssh.Client, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	cc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return ssh.NewClient(cc, chans, reqs), nil
}

// retryable tells connection trouble (worth another attempt) from refusals that would repeat.
func retryable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	// The handshake cut off by a restarting sshd.
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "connection reset")
}

// HostKey is the host key the machine presented, in authorized_keys form.
func (c *Client) HostKey() string { return c.hostKey }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

func (c *Client) shell() string {
	if c.target.User == "root" {
		return "bash -s"
	}
	return "sudo -n bash -s" // -n: fail instead of waiting for a password nobody types
}

// Run runs script with bash, as root. The script arrives on stdin, so secrets in it never show in
// the machine's process list. A cancelled ctx kills the command.
func (c *Client) Run(ctx context.Context, script string) (Result, error) {
	return c.run(ctx, c.shell(), strings.NewReader(script), Step(script))
}

func (c *Client) run(ctx context.Context, cmd string, stdin io.Reader, step string) (Result, error) {
	s, err := c.conn.NewSession()
	if err != nil {
		return Result{}, fmt.Errorf("machine %s: opening a session: %w", c.target.Name, err)
	}
	defer s.Close()
	var stdout, stderr bytes.Buffer
	s.Stdout, s.Stderr, s.Stdin = &stdout, &stderr, stdin
	done := make(chan error, 1)
	go func() { done <- s.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = s.Signal(ssh.SIGKILL)
		s.Close()
		return Result{}, fmt.Errorf("machine %s: %s: %w", c.target.Name, step, ctx.Err())
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if err != nil {
		var exit *ssh.ExitError
		if errors.As(err, &exit) {
			return res, &CommandError{Machine: c.target.Name, Step: step, ExitCode: exit.ExitStatus(), Stderr: c.red.String(res.Stderr)}
		}
		return res, fmt.Errorf("machine %s: %s: %s", c.target.Name, step, c.red.String(err.Error()))
	}
	return res, nil
}

// Upload writes content to path as root, through a temporary file renamed into place so that a
// reader never sees half a file.
func (c *Client) Upload(ctx context.Context, path string, content []byte, mode uint32) error {
	sudo := ""
	if c.target.User != "root" {
		sudo = "sudo -n "
	}
	// The path travels as $0, quoted once for the login shell.
	cmd := fmt.Sprintf(`%ssh -c 'set -e; mkdir -p "$(dirname "$0")"; umask 077; cat > "$0.orbos-tmp"; chmod %o "$0.orbos-tmp"; mv -f "$0.orbos-tmp" "$0"' %s`,
		sudo, mode, Quote(path))
	_, err := c.run(ctx, cmd, bytes.NewReader(content), "uploading "+path)
	return err
}

// Quote makes s one word for bash.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Step names a script in messages by its "# step: ..." comment line, else by its first line.
func Step(script string) string {
	for _, l := range strings.Split(script, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "# step: ") {
			return strings.TrimPrefix(l, "# step: ")
		}
	}
	l, _, _ := strings.Cut(strings.TrimSpace(script), "\n")
	if len(l) > 60 {
		l = l[:60] + "..."
	}
	return l
}

func tail(s string, lines int) string {
	ls := strings.Split(s, "\n")
	if len(ls) > lines {
		ls = append([]string{"..."}, ls[len(ls)-lines:]...)
	}
	return strings.Join(ls, "\n")
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// Stream runs command through the login user's shell with stdin, stdout and stderr attached, and
// returns its exit code (-1 when it ended without one).
func (c *Client) Stream(ctx context.Context, command string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	s, err := c.conn.NewSession()
	if err != nil {
		return -1, fmt.Errorf("machine %s: opening a session: %w", c.target.Name, err)
	}
	defer s.Close()
	s.Stdin, s.Stdout, s.Stderr = stdin, stdout, stderr
	done := make(chan error, 1)
	go func() { done <- s.Run(command) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = s.Signal(ssh.SIGTERM)
		return -1, ctx.Err()
	}
	var exit *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitStatus(), nil
	}
	return -1, fmt.Errorf("machine %s: %w", c.target.Name, err)
}

// Fingerprint is an authorized_keys-form public key's SHA256 fingerprint, as ssh-keygen -l prints it.
func Fingerprint(authorizedKey string) (string, error) {
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorizedKey))
	if err != nil {
		return "", fmt.Errorf("not a public key in authorized_keys form: %w", err)
	}
	return ssh.FingerprintSHA256(k), nil
}

// errScanned stops a handshake once the host key is known.
var errScanned = errors.New("host key read")

// ScanHostKey completes an SSH key exchange with address:port and returns the host key the machine
// presents (authorized_keys form), without logging in: what an operator checks before trusting it.
func ScanHostKey(ctx context.Context, address string, port int, timeout time.Duration) (string, error) {
	if port == 0 {
		port = 22
	}
	addr := net.JoinHostPort(address, strconv.Itoa(port))
	var presented string
	cfg := &ssh.ClientConfig{
		User: "orbos",
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			presented = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
			return errScanned
		},
		Timeout: timeout,
	}
	_, err := dial(ctx, addr, cfg, timeout)
	if presented == "" {
		return "", fmt.Errorf("reading the host key of %s: %w", addr, err)
	}
	return presented, nil
}
