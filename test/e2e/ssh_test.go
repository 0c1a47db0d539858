package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/test/testenv"
)

// sshHost is a real sshd on loopback serving Git over SSH for the current user.
type sshHost struct {
	port     int
	hostKey  string // authorized_keys form
	hostLine string // known_hosts line pinning its host key
}

func writeKey(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func startSSHD(t *testing.T, clientKey ssh.PublicKey) *sshHost {
	return startSSHDOn(t, "127.0.0.1", clientKey)
}

// startSSHDOn starts a test host on a loopback address of its own (127.0.0.0/8 is all loopback on
// Linux) that lets clientKey log in.
func startSSHDOn(t *testing.T, address string, clientKey ssh.PublicKey) *sshHost {
	t.Helper()
	h := testenv.StartHost(t, "sshd-"+address, testenv.HostOptions{Address: address, AuthorizedKey: clientKey})
	return &sshHost{port: h.Port, hostKey: h.HostKey, hostLine: fmt.Sprintf("[%s]:%d %s", address, h.Port, h.HostKey)}
}

// An ORB whose repository is reached over SSH: the deploy key authenticates, the pinned host key is
// verified, and a host presenting another key is refused.
func TestSSHRemoteWithPinnedHostKey(t *testing.T) {
	needAPIServer(t)
	dir := t.TempDir()
	deployKey := filepath.Join(dir, "deploy_key")
	sshd := startSSHD(t, writeKey(t, deployKey))
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte(sshd.hostLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	remote := gittest.BareRemote(t, nil)
	url := fmt.Sprintf("ssh://%s@127.0.0.1:%d%s", u.Username, sshd.port, remote)

	o := &orb{t: t, name: "overssh", dir: dir, remote: remote, orbconfig: filepath.Join(dir, "orbconfig"), checkout: filepath.Join(dir, "co")}
	o.env = []string{"PULUMI_HOME=" + pulumiHome, "ORBOS_CONFIG=" + o.orbconfig, "ORBOS_CHECKOUT=" + o.checkout}
	o.mustRun("init", "--orb", o.name, "--repo", url, "--kubeconfig", apiserver.Kubeconfig,
		"--deploy-key", deployKey, "--known-hosts", knownHosts)
	o.mustRun("config", "set", "orbos:orbiter.kubernetes.namespace", o.namespace())
	o.mustRun("up")
	if got := o.stateResources(); len(got) != 2 {
		t.Fatalf("state pushed over SSH holds %v", got)
	}

	// The same ORB, but the orbconfig pins a different host key: refused before anything runs.
	cfg, _ := os.ReadFile(o.orbconfig)
	other := writeKey(t, filepath.Join(dir, "other_host_key"))
	forged := strings.Replace(string(cfg), strings.Fields(sshd.hostLine)[2], strings.Fields(string(ssh.MarshalAuthorizedKey(other)))[1], 1)
	if forged == string(cfg) {
		t.Fatal("the orbconfig does not hold the host key")
	}
	bad := o.withCheckout(filepath.Join(dir, "co-bad"))
	bad.orbconfig = filepath.Join(dir, "orbconfig-bad")
	bad.env = []string{"PULUMI_HOME=" + pulumiHome, "ORBOS_CONFIG=" + bad.orbconfig, "ORBOS_CHECKOUT=" + bad.checkout}
	if err := os.WriteFile(bad.orbconfig, []byte(forged), 0o600); err != nil {
		t.Fatal(err)
	}
	r := bad.run("status")
	if r.code == 0 || !strings.Contains(r.stderr, "does not match the pinned one") {
		t.Fatalf("a host with another key was accepted:\n%s", r)
	}
	o.mustRun("destroy", "--yes")
}
