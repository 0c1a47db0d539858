package static

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/orbos/orbos/stacks"
)

func pools() stacks.Static {
	return stacks.Static{Pools: map[string][]stacks.StaticMachine{
		"control": {{ID: "cp-a", Address: "10.0.0.1"}, {ID: "cp-b", Address: "10.0.0.2"}, {ID: "cp-c", Address: "10.0.0.3"}, {ID: "cp-d", Address: "10.0.0.4"}},
		"workers": {{ID: "w-a", Address: "10.0.1.1"}, {ID: "w-b", Address: "10.0.1.2", Retired: true}},
		"lb":      {{ID: "lb-a", Address: "10.0.2.1"}},
	}}
}

func ids(ms []Machine, role string) string {
	var out []string
	for _, m := range ms {
		if m.Role == role {
			out = append(out, m.ID)
		}
	}
	return strings.Join(out, " ")
}

func TestInventoryPicksMachinesAndReplacesRetiredOnes(t *testing.T) {
	a := Args{Static: pools(), Roles: map[string]string{"control": "controlplane", "workers": "worker"}, ControlPlanePool: "control", ControlPlaneNodes: 3}
	inv := Inventory(a)
	if got := ids(inv, "controlplane"); got != "cp-a cp-b cp-c" {
		t.Errorf("control planes %q", got)
	}
	if got := ids(inv, "spare"); got != "cp-d" {
		t.Errorf("spares %q", got)
	}
	if got := ids(inv, "worker"); got != "w-a" {
		t.Errorf("workers %q: a retired machine is used", got)
	}
	if got := ids(inv, "machine"); got != "lb-a" {
		t.Errorf("other machines %q", got)
	}
	// Retiring cp-b: the next listed machine of its pool takes its place.
	a.Static.Pools["control"][1].Retired = true
	inv = Inventory(a)
	if got := ids(inv, "controlplane"); got != "cp-a cp-c cp-d" {
		t.Errorf("after retiring cp-b, control planes %q", got)
	}
	if got := ids(inv, "spare"); got != "" {
		t.Errorf("spares %q", got)
	}
}

// sshServer accepts connections and completes key exchanges with hostKey, refusing every login.
func sshServer(t *testing.T) (port int, hostKey ssh.PublicKey) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, net.ErrClosed }}
	cfg.AddHostKey(signer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _, _, _, _ = ssh.NewServerConn(c, cfg); c.Close() }()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, signer.PublicKey()
}

func TestCheckReachabilityAndPinnedHostKeys(t *testing.T) {
	port, key := sshServer(t)
	_, other := sshServer(t)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	pin := func(k ssh.PublicKey) string { return string(ssh.MarshalAuthorizedKey(k)) }
	ctx := context.Background()

	good := []Machine{
		{ID: "pinned", Pool: "p", Address: "127.0.0.1", SSHPort: port, SSHUser: "root", HostKey: pin(key)},
		{ID: "unpinned", Pool: "p", Address: "127.0.0.1", SSHPort: port, SSHUser: "root"},
	}
	if err := Check(ctx, good, 5*time.Second); err != nil {
		t.Fatalf("reachable machines: %v", err)
	}
	bad := []Machine{
		{ID: "gone", Pool: "p", Address: "127.0.0.1", SSHPort: closedPort, SSHUser: "root"},
		{ID: "impostor", Pool: "p", Address: "127.0.0.1", SSHPort: port, SSHUser: "root", HostKey: pin(other)},
	}
	err := Check(ctx, bad, 5*time.Second)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"machine gone", "unreachable", "127.0.0.1:" + strconv.Itoa(closedPort), "machine impostor", "not the pinned", ssh.FingerprintSHA256(key)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
