package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/orbos/orbos/internal/sshexec"
)

// runSSH runs OpenSSH's client on t with a private key file and a known_hosts file holding only t's
// host key, in a temporary directory only the user can read, removed afterwards.
func runSSH(ctx context.Context, t sshexec.Target, extra []string, in io.Reader, out, errOut io.Writer) error {
	bin, err := exec.LookPath("ssh")
	if err != nil {
		return fmt.Errorf("node ssh runs OpenSSH's ssh client, which is not installed: %w (node exec needs none)", err)
	}
	dir, err := os.MkdirTemp("", "orbctl-ssh-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	key, known := filepath.Join(dir, "key"), filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(key, []byte(t.PrivateKey), 0o600); err != nil {
		return err
	}
	host := t.Address
	if t.Port != 22 {
		host = fmt.Sprintf("[%s]:%d", t.Address, t.Port)
	}
	if err := os.WriteFile(known, []byte(host+" "+t.HostKey+"\n"), 0o600); err != nil {
		return err
	}
	args := append([]string{
		"-i", key, "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + known, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "HostKeyAlias=" + host, "-p", strconv.Itoa(t.Port), "-l", t.User, t.Address,
	}, extra...)
	c := exec.CommandContext(ctx, bin, args...)
	c.Stdin, c.Stdout, c.Stderr = in, out, errOut
	if err := c.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return commandExit{ee.ExitCode()}
		}
		return err
	}
	return nil
}
