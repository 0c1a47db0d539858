package testenv

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/orbos/orbos/internal/sshkey"
	"github.com/orbos/orbos/internal/tools"
)

//go:embed recorder/recorder.sh
var recorderScript []byte

// RecorderNames lists the binaries a test host replaces by the recorder (see recorder/recorder.sh).
var RecorderNames = []string{
	"apt-get", "apt-mark", "systemctl", "modprobe", "swapoff", "sysctl", "curl", "gpg", "containerd",
	"kubelet", "kubectl", "kubeadm", "etcdctl", "cilium", "keepalived", "haproxy",
}

// Host is a real sshd playing a machine. It runs as root in a mount namespace of its own where /etc,
// /var/lib, /opt and /usr/local/bin are copy-on-write overlays of this machine's: scripts write
// where they would on a real node, and nothing reaches the machine running the tests. The
// recorders in its /usr/local/bin stand in for binaries that cannot run here.
type Host struct {
	Name    string
	Address string
	Port    int
	// HostKey is the host's public key, authorized_keys form.
	HostKey string
	// ClientKey is the private key (PEM) that logs in as root.
	ClientKey string
	// Dir holds the sshd configuration and the overlays' upper directories.
	Dir string
	// Log is the recorder log, shared by hosts started with the same log.
	Log string

	cmd *exec.Cmd
	// mntNS is the mount namespace sshd runs in (its overlays); Stop kills what lives there.
	// nsPin holds it open, so that its name cannot pass to another namespace while Stop looks.
	mntNS string
	nsPin *os.File
	// exited is closed when sshd's process has been waited for.
	exited chan struct{}
}

// HostOptions shape a test host.
type HostOptions struct {
	// Address is a loopback address of its own, e.g. 127.0.0.11 (default 127.0.0.1).
	Address string
	// Log is the recorder log path; hosts sharing it show the order of steps across machines.
	Log string
	// ClientKey logs in; default a new one.
	ClientKey string
	// AuthorizedKey, when set, is the key allowed to log in instead of ClientKey's.
	AuthorizedKey ssh.PublicKey
	// User, when set, is a non-root user the host gets (in its own /etc), allowed password-less sudo.
	User string
}

// StartHost starts a test host named name; it stops when the test ends.
func StartHost(t testing.TB, name string, o HostOptions) *Host {
	t.Helper()
	if o.Address == "" {
		o.Address = "127.0.0.1"
	}
	dir := t.TempDir()
	if o.Log == "" {
		o.Log = filepath.Join(dir, "recorder.log")
	}
	if o.ClientKey == "" {
		var err error
		if o.ClientKey, _, err = sshkey.Generate("test"); err != nil {
			t.Fatal(err)
		}
	}
	h := &Host{Name: name, Address: o.Address, Dir: dir, Log: o.Log, ClientKey: o.ClientKey}
	if err := h.setup(o.User, o.AuthorizedKey); err != nil {
		t.Fatalf("test host %s: %v", name, err)
	}
	if err := h.Start(); err != nil {
		t.Fatalf("test host %s: %v", name, err)
	}
	t.Cleanup(func() {
		h.Stop()
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "sshd.log")); err == nil {
				t.Logf("sshd.log of %s:\n%s", name, lastLines(string(b), 30))
			}
		}
	})
	return h
}

var overlays = []string{"/etc", "/var/lib", "/opt", "/usr/local/bin"}

func (h *Host) setup(user string, authorized ssh.PublicKey) error {
	sshd, err := tools.Find("sshd")
	if err != nil {
		return err
	}
	kubeadm, err := tools.Find("kubeadm")
	if err != nil {
		return err
	}
	if authorized == nil {
		signer, err := ssh.ParsePrivateKey([]byte(h.ClientKey))
		if err != nil {
			return err
		}
		authorized = signer.PublicKey()
	}
	if err := os.WriteFile(filepath.Join(h.Dir, "authorized_keys"), ssh.MarshalAuthorizedKey(authorized), 0o600); err != nil {
		return err
	}
	if err := h.NewHostKey(); err != nil {
		return err
	}
	// The overlays' upper layers: the host's own files.
	for _, o := range overlays {
		for _, layer := range []string{"upper", "work"} {
			if err := os.MkdirAll(filepath.Join(h.Dir, layer, o), 0o755); err != nil {
				return err
			}
		}
	}
	etc := filepath.Join(h.Dir, "upper/etc/orbos-test")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return err
	}
	// The host's boot ID, which the systemctl recorder changes on "reboot".
	bootID := filepath.Join(h.Dir, "boot_id")
	if err := os.WriteFile(bootID, []byte("00000000-0000-4000-8000-000000000001\n"), 0o644); err != nil {
		return err
	}
	for name, content := range map[string]string{"host": h.Name, "log": h.Log, "kubeadm": kubeadm, "boot-id": bootID} {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(content+"\n"), 0o644); err != nil {
			return err
		}
	}
	bin := filepath.Join(h.Dir, "upper/usr/local/bin")
	if err := os.WriteFile(filepath.Join(bin, "orbos-recorder"), recorderScript, 0o755); err != nil {
		return err
	}
	for _, r := range RecorderNames {
		if err := os.Symlink("orbos-recorder", filepath.Join(bin, r)); err != nil {
			return err
		}
	}
	if user != "" {
		if err := addUser(filepath.Join(h.Dir, "upper/etc"), user); err != nil {
			return err
		}
		// sshd reads authorized_keys as the user.
		for _, p := range []string{filepath.Dir(h.Dir), h.Dir, filepath.Join(h.Dir, "authorized_keys")} {
			if err := os.Chmod(p, 0o755); err != nil {
				return err
			}
		}
	}
	// No machine's /etc/fstab is needed; give the host one with a swap line for prepare to disable.
	if err := os.WriteFile(filepath.Join(h.Dir, "upper/etc/fstab"), []byte("/dev/sda1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n"), 0o644); err != nil {
		return err
	}
	l, err := net.Listen("tcp", h.Address+":0")
	if err != nil {
		return err
	}
	h.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	_ = os.MkdirAll("/run/sshd", 0o755)
	if err := writeSSHDConfig(h.Dir, h.Address, h.Port); err != nil {
		return err
	}
	var mounts []string
	for _, o := range overlays {
		mounts = append(mounts, fmt.Sprintf("mount -t overlay overlay -o lowerdir=%s,upperdir=%s,workdir=%s %s",
			o, filepath.Join(h.Dir, "upper", o), filepath.Join(h.Dir, "work", o), o))
	}
	mounts = append(mounts, "mount --bind "+bootID+" /proc/sys/kernel/random/boot_id")
	script := strings.Join(mounts, " && ") + " && exec " + sshd + " -D -e -f " + filepath.Join(h.Dir, "sshd_config")
	if err := os.WriteFile(filepath.Join(h.Dir, "start.sh"), []byte(script+"\n"), 0o700); err != nil {
		return err
	}
	return nil
}

// addUser gives the host's /etc a user with password-less sudo (its password locked with "*", which
// sshd without PAM still lets in with a key).
func addUser(etc, user string) error {
	for _, f := range []struct{ name, line string }{
		{"passwd", user + ":x:4242:4242::/tmp:/bin/bash\n"},
		{"shadow", user + ":*:20000:0:99999:7:::\n"},
		{"group", user + ":x:4242:\n"},
	} {
		base, err := os.ReadFile(filepath.Join("/etc", f.name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(etc, f.name), append(base, f.line...), 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(etc, "shadow"), 0o640); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(etc, "sudoers.d"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(etc, "sudoers.d", "orbos-test"), []byte(user+" ALL=(ALL) NOPASSWD:ALL\n"), 0o440)
}

// NewHostKey gives the host a new host key, as a reinstalled machine has; it takes effect at the
// next Start.
func (h *Host) NewHostKey() error {
	path := filepath.Join(h.Dir, "host_key")
	_ = os.Remove(path)
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		return err
	}
	f := strings.Fields(string(pub))
	h.HostKey = f[0] + " " + f[1]
	return nil
}

// Start starts sshd in its namespace and waits until it accepts connections.
func (h *Host) Start() error {
	logf, err := os.OpenFile(filepath.Join(h.Dir, "sshd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", filepath.Join(h.Dir, "start.sh"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting sshd: %w", err)
	}
	h.cmd = cmd
	h.exited = make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(h.exited)
	addr := net.JoinHostPort(h.Address, strconv.Itoa(h.Port))
	// sshd starts in well under a second, but under load (CI beside real clusters) it took longer.
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			// unshare has made the namespace and exec'd sshd: it lives under the same PID.
			ns := fmt.Sprintf("/proc/%d/ns/mnt", cmd.Process.Pid)
			if pin, err := os.Open(ns); err == nil {
				// The name of the namespace the file holds, not of whatever the PID has become.
				if h.mntNS, err = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", pin.Fd())); err == nil {
					h.nsPin = pin
				} else {
					pin.Close()
				}
			}
			return nil
		}
		exited := false
		select {
		case <-h.exited:
			exited = true
		default:
		}
		if exited || time.Now().After(deadline) {
			h.Stop()
			b, _ := os.ReadFile(filepath.Join(h.Dir, "sshd.log"))
			what := "did not listen"
			if exited {
				what = "exited before it listened"
			}
			return fmt.Errorf("sshd %s on %s:\n%s", what, addr, lastLines(string(b), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops sshd and every process of its mount namespace: the sessions it runs and whatever they
// started in sessions of their own (setsid), which a process-group kill misses and which would keep
// the old namespace and its overlay mounts alive under the next Start.
func (h *Host) Stop() {
	if h.cmd == nil || h.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
	<-h.exited
	if h.nsPin != nil {
		for range 50 {
			pids := pidsInMntNS(h.mntNS)
			if len(pids) == 0 {
				break
			}
			for _, p := range pids {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if h.nsPin != nil {
		h.nsPin.Close()
	}
	h.cmd, h.mntNS, h.nsPin = nil, "", nil
}

// File reads a file of the host's own layer (what scripts wrote there); "" if there is none.
func (h *Host) File(path string) string {
	b, err := os.ReadFile(filepath.Join(h.Dir, "upper", path))
	if err != nil {
		return ""
	}
	return string(b)
}

// Recorded is one recorder call.
type Recorded struct {
	At   int64 // nanoseconds
	Host string
	Cmd  string
	Args string
}

// ReadLog returns the recorder calls logged in path, in order.
func ReadLog(path string) ([]Recorded, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Recorded
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), " ", 4)
		if len(parts) < 3 {
			continue
		}
		at, _ := strconv.ParseInt(parts[0], 10, 64)
		r := Recorded{At: at, Host: parts[1], Cmd: parts[2]}
		if len(parts) == 4 {
			r.Args = parts[3]
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// writeSSHDConfig writes dir/sshd_config for a test sshd on address:port whose host key, pid file
// and authorized keys live in dir: key-only root logins, no PAM.
func writeSSHDConfig(dir, address string, port int) error {
	config := fmt.Sprintf(`Port %d
ListenAddress %s
HostKey %[3]s/host_key
PidFile %[3]s/sshd.pid
AuthorizedKeysFile %[3]s/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
MaxStartups 100
`, port, address, dir)
	return os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(config), 0o600)
}
