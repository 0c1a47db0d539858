package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Names of the processes, in start order. They are also the log file names (NAME.log).
const (
	etcdName       = "etcd"
	apiserverName  = "kube-apiserver"
	controllerName = "kube-controller-manager"
)

const (
	// startTimeout caps StartAPIServer when the caller's context has no earlier deadline.
	startTimeout = 3 * time.Minute
	// stopGrace is how long a process gets after SIGTERM before SIGKILL.
	stopGrace = 5 * time.Second
	// pollInterval is how often readiness is probed during start.
	pollInterval = 100 * time.Millisecond
)

// APIServer is a running local control plane: etcd, kube-apiserver and kube-controller-manager.
type APIServer struct {
	// Dir holds everything: etcd data, certificates, keys, log files, kubeconfig and pids.
	Dir string
	// URL is the apiserver's address, https://127.0.0.1:PORT.
	URL string
	// Token is the bearer token of the "admin" user (group system:masters).
	Token string
	// Kubeconfig is the path of an admin kubeconfig (Dir/kubeconfig, mode 0600).
	Kubeconfig string
	// CAData is the PEM the apiserver's serving certificate verifies against.
	CAData []byte

	procs    []*process
	client   *http.Client
	stopOnce sync.Once
	stopErr  error
}

// process is one child process and the result of waiting for it.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has been reaped
	waitErr error         // valid after done is closed
}

// StartAPIServer starts etcd, kube-apiserver and kube-controller-manager with all their state
// in dir (created if needed; state of an earlier run there is wiped) and returns once the
// apiserver is ready and the controller manager runs. Call Stop to end them.
//
// The processes are tied to the calling process: on Linux they get SIGKILL if it dies
// (for example a test binary hitting -timeout), so a crashed test run leaks nothing.
// Use StartDetached for processes that outlive the caller.
func StartAPIServer(ctx context.Context, dir string) (*APIServer, error) {
	return start(ctx, dir, false)
}

// StartDetached is StartAPIServer for processes that keep running after the calling
// process exits (the local demo). Each runs in its own session, so neither Ctrl-C nor a
// closing terminal reaches it. Stop them with StopDir (or Stop, from the same process).
func StartDetached(ctx context.Context, dir string) (*APIServer, error) {
	return start(ctx, dir, true)
}

func start(ctx context.Context, dir string, detached bool) (_ *APIServer, err error) {
	// Resolve every binary first so a missing tool fails before anything runs.
	var bins [3]string
	for i, name := range []string{etcdName, apiserverName, controllerName} {
		if bins[i], err = FindTool(name); err != nil {
			return nil, err
		}
	}

	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("testenv: resolve dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("testenv: create dir: %w", err)
	}
	if pids, _ := readPIDs(dir); len(pids) > 0 {
		for _, pid := range pids {
			if alive(pid) {
				return nil, fmt.Errorf("testenv: %s already has running processes (pid %d); stop them first", dir, pid)
			}
		}
	}
	// A fresh cluster every time: etcd's data remembers the old peer URL and the
	// apiserver would reuse an old certificate, both of which only confuse.
	for _, sub := range []string{"etcd", "certs"} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			return nil, fmt.Errorf("testenv: remove old %s: %w", sub, err)
		}
	}
	_ = os.Remove(filepath.Join(dir, "pids"))

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}

	a := &APIServer{Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig")}
	defer func() {
		if err != nil {
			// Don't leave half a control plane behind, detached or not.
			_ = a.Stop()
		}
	}()

	// Take all ports at once so they are distinct; there is a small window in which
	// another process could grab one, which a test rerun would survive.
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	a.URL = fmt.Sprintf("https://127.0.0.1:%d", ports[2])

	etcd, err := a.startProcess(etcdName, bins[0], detached,
		"--name=testenv",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=testenv="+peerURL,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}

	// Generate keys and token while etcd starts.
	if err := a.writeSecrets(); err != nil {
		return nil, err
	}

	plain := &http.Client{Timeout: 5 * time.Second}
	err = poll(ctx, etcd, func() (bool, string) {
		resp, err := plain.Get(etcdURL + "/health")
		if err != nil {
			return false, err.Error()
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte(`"true"`)), string(body)
	})
	if err != nil {
		return nil, fmt.Errorf("testenv: waiting for etcd at %s: %w", etcdURL, err)
	}

	certDir := filepath.Join(dir, "certs")
	apiserver, err := a.startProcess(apiserverName, bins[1], detached,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(ports[2]),
		"--cert-dir="+certDir,
		"--token-auth-file="+filepath.Join(dir, "token.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=10.0.0.0/24",
		"--allow-privileged=true",
		// No controller creates service account tokens here, so the admission plugin
		// would reject every pod.
		"--disable-admission-plugins=ServiceAccount",
		// There is no kubelet and the loopback address must not be published as the
		// endpoint of the "kubernetes" service.
		"--endpoint-reconciler-type=none",
	)
	if err != nil {
		return nil, err
	}

	// The apiserver writes a self-signed certificate (followed by its CA) into cert-dir;
	// its SANs include the bind address 127.0.0.1. Trusting that file lets every
	// client verify the server instead of skipping verification.
	err = poll(ctx, apiserver, func() (bool, string) {
		data, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
		if err != nil {
			return false, err.Error()
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			return false, "apiserver.crt holds no certificate yet"
		}
		a.CAData = data
		a.client = newClient(pool, a.Token)
		return true, ""
	})
	if err != nil {
		return nil, fmt.Errorf("testenv: waiting for the apiserver's certificate: %w", err)
	}

	err = poll(ctx, apiserver, func() (bool, string) {
		code, body, err := a.Get(ctx, "/readyz")
		if err != nil {
			return false, err.Error()
		}
		return code == http.StatusOK, fmt.Sprintf("/readyz: %d %s", code, body)
	})
	if err != nil {
		return nil, fmt.Errorf("testenv: waiting for kube-apiserver at %s: %w", a.URL, err)
	}
	// /readyz can answer before the system namespaces exist; tests expect "default".
	err = poll(ctx, apiserver, func() (bool, string) {
		code, body, err := a.Get(ctx, "/api/v1/namespaces/default")
		if err != nil {
			return false, err.Error()
		}
		return code == http.StatusOK, fmt.Sprintf("namespace default: %d %s", code, body)
	})
	if err != nil {
		return nil, fmt.Errorf("testenv: waiting for namespace default: %w", err)
	}

	if err := writePrivate(a.Kubeconfig, a.kubeconfig()); err != nil {
		return nil, err
	}
	// The controller manager gets its own copy so a test may rewrite the admin one.
	kcmConfig := filepath.Join(dir, "kube-controller-manager.kubeconfig")
	if err := writePrivate(kcmConfig, a.kubeconfig()); err != nil {
		return nil, err
	}
	// Without the namespace and garbage collector controllers, namespace deletion and
	// foreground deletes hang forever.
	kcm, err := a.startProcess(controllerName, bins[2], detached,
		"--kubeconfig="+kcmConfig,
		"--controllers=garbagecollector,namespace",
		"--leader-elect=false",
		"--secure-port=0",
	)
	if err != nil {
		return nil, err
	}
	// With --secure-port=0 there is no health endpoint; the log line that the namespace
	// controller started is the only readiness signal.
	err = poll(ctx, kcm, func() (bool, string) {
		data, err := os.ReadFile(kcm.logPath)
		if err != nil {
			return false, err.Error()
		}
		return kcmReady(data), "namespace controller not started yet"
	})
	if err != nil {
		return nil, fmt.Errorf("testenv: waiting for kube-controller-manager: %w", err)
	}
	return a, nil
}

// kcmReady reports whether the controller manager's log shows the namespace controller started.
func kcmReady(log []byte) bool {
	for _, line := range bytes.Split(log, []byte("\n")) {
		if bytes.Contains(line, []byte("Started controller")) && bytes.Contains(line, []byte("namespace")) {
			return true
		}
	}
	return false
}

// writeSecrets creates the admin token, its token auth file and the service account key pair.
func (a *APIServer) writeSecrets() error {
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return fmt.Errorf("testenv: generate token: %w", err)
	}
	a.Token = hex.EncodeToString(tok)
	// Format: token,user,uid,group.
	if err := writePrivate(filepath.Join(a.Dir, "token.csv"), []byte(a.Token+",admin,admin,system:masters\n")); err != nil {
		return err
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("testenv: generate service account key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("testenv: marshal service account public key: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := writePrivate(filepath.Join(a.Dir, "sa.key"), keyPEM); err != nil {
		return err
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	if err := os.WriteFile(filepath.Join(a.Dir, "sa.pub"), pubPEM, 0o644); err != nil {
		return fmt.Errorf("testenv: write sa.pub: %w", err)
	}
	return nil
}

// kubeconfig renders an admin kubeconfig. It is written by hand to avoid a YAML dependency;
// every value is either base64, hex or a URL, so no quoting is needed.
func (a *APIServer) kubeconfig() []byte {
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: orbos-testenv
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    token: %s
contexts:
- name: orbos-testenv
  context:
    cluster: orbos-testenv
    user: admin
current-context: orbos-testenv
`, a.URL, base64.StdEncoding.EncodeToString(a.CAData), a.Token))
}

// startProcess starts one binary with its output in Dir/NAME.log and records its PID in Dir/pids.
func (a *APIServer) startProcess(name, bin string, detached bool, args ...string) (*process, error) {
	logPath := filepath.Join(a.Dir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testenv: create %s: %w", logPath, err)
	}
	// The file goes to the child as its stdout/stderr directly (no pipe), so output is
	// kept even after this process exits and the child never dies of SIGPIPE.
	defer logf.Close()

	cmd := exec.Command(bin, args...)
	cmd.Dir = a.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if name == etcdName {
		// etcd refuses to start when an ETCD_* variable duplicates a flag.
		cmd.Env = withoutPrefix(os.Environ(), "ETCD_")
	}
	if detached {
		// A new session is also a new process group (pgid == pid), so group kills work.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		// Own process group so Stop can kill the group and terminal signals pass it by;
		// Pdeathsig ends the child if the caller dies without calling Stop.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testenv: start %s: %w", name, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	a.procs = append(a.procs, p)
	if err := a.writePIDs(); err != nil {
		return nil, err
	}
	return p, nil
}

// writePIDs writes one PID per line, in start order, so `kill $(cat DIR/pids)` works.
func (a *APIServer) writePIDs() error {
	var b strings.Builder
	for _, p := range a.procs {
		fmt.Fprintf(&b, "%d\n", p.cmd.Process.Pid)
	}
	path := filepath.Join(a.Dir, "pids")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("testenv: write %s: %w", path, err)
	}
	return nil
}

// PIDs returns the process IDs of etcd, kube-apiserver and kube-controller-manager, in that order.
func (a *APIServer) PIDs() []int {
	pids := make([]int, len(a.procs))
	for i, p := range a.procs {
		pids[i] = p.cmd.Process.Pid
	}
	return pids
}

// Stop ends the processes in reverse start order: SIGTERM to each process group, SIGKILL
// after a few seconds, and waits until each is reaped. It reports a process that had
// already exited on its own, since that means the control plane was broken. Stop is
// idempotent; later calls return the first result.
func (a *APIServer) Stop() error {
	a.stopOnce.Do(func() {
		var errs []error
		for i := len(a.procs) - 1; i >= 0; i-- {
			if err := a.procs[i].stop(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := os.Remove(filepath.Join(a.Dir, "pids")); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("testenv: remove pids: %w", err))
		}
		a.stopErr = errors.Join(errs...)
	})
	return a.stopErr
}

func (p *process) stop() error {
	pid := p.cmd.Process.Pid
	select {
	case <-p.done:
		return fmt.Errorf("testenv: %s (pid %d) had exited before Stop: %v\n%s", p.name, pid, p.waitErr, tail(p.logPath))
	default:
	}
	// Negative PID: the whole process group.
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
		return fmt.Errorf("testenv: %s (pid %d) did not exit after SIGKILL", p.name, pid)
	}
}

// StopDir stops the processes listed in dir/pids by a StartDetached in another process:
// SIGTERM, then SIGKILL after a few seconds. A PID whose process is gone, or is no longer
// one of ours (the PID was reused), is skipped.
func StopDir(dir string) error {
	pids, err := readPIDs(dir)
	if err != nil {
		return err
	}
	var errs []error
	for i := len(pids) - 1; i >= 0; i-- {
		if err := stopPID(pids[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		if err := os.Remove(filepath.Join(dir, "pids")); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("testenv: remove pids: %w", err))
		}
	}
	return errors.Join(errs...)
}

func stopPID(pid int) error {
	if !alive(pid) || !isOurs(pid) {
		return nil
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		// Group first; the plain PID in case the process left its group.
		if err := syscall.Kill(-pid, sig); err != nil {
			_ = syscall.Kill(pid, sig)
		}
		for deadline := time.Now().Add(stopGrace); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if !alive(pid) {
				return nil
			}
		}
	}
	return fmt.Errorf("testenv: pid %d did not exit after SIGKILL", pid)
}

func readPIDs(dir string) ([]int, error) {
	data, err := os.ReadFile(filepath.Join(dir, "pids"))
	if err != nil {
		return nil, fmt.Errorf("testenv: read pids: %w", err)
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("testenv: bad pid %q in %s", f, filepath.Join(dir, "pids"))
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// alive reports whether pid exists and is not a zombie. Orphans of a detached start are
// reparented to PID 1, which in some containers never reaps them.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		// No /proc: trust kill -0.
		return !errors.Is(err, os.ErrNotExist)
	}
	// The state follows the command name, which is in parentheses and may contain spaces.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// isOurs reports whether pid runs one of the three binaries, judged by argv[0]'s base name.
func isOurs(pid int) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return true // cannot tell (no /proc); the PID came from our own file
	}
	argv0, _, _ := bytes.Cut(cmdline, []byte{0})
	switch filepath.Base(string(argv0)) {
	case etcdName, apiserverName, controllerName:
		return true
	}
	return false
}

// poll calls check every pollInterval until it reports true. It fails early, with the
// tail of p's log, when p exits or ctx ends; last describes the latest unsuccessful check.
func poll(ctx context.Context, p *process, check func() (ok bool, last string)) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		ok, last := check()
		if ok {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited: %v\n--- tail of %s ---\n%s", p.name, p.waitErr, p.logPath, tail(p.logPath))
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %s)\n--- tail of %s ---\n%s", ctx.Err(), last, p.logPath, tail(p.logPath))
		case <-t.C:
		}
	}
}

// tail returns about the last 30 lines of a log file.
func tail(path string) string {
	const maxBytes, maxLines = 8192, 30
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxBytes {
		_, _ = f.Seek(fi.Size()-maxBytes, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return strings.Join(lines, "\n")
}

func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("testenv: find a free port: %w", err)
		}
		// Closed only after all are taken, so the ports differ.
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// writePrivate writes a file readable only by its owner, also when it already existed
// with wider permissions (os.WriteFile keeps an existing file's mode).
func writePrivate(path string, data []byte) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("testenv: replace %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("testenv: write %s: %w", path, err)
	}
	return nil
}

func withoutPrefix(env []string, prefix string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

// bearer adds the admin token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func newClient(roots *x509.CertPool, token string) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: bearer{token: token, next: tr}, Timeout: time.Minute}
}

// HTTPClient returns a client that verifies the apiserver's certificate and sends the admin token.
func (a *APIServer) HTTPClient() *http.Client { return a.client }

// Do sends an authenticated request to path (for example "/api/v1/namespaces/foo") and
// returns the status code and body. A non-nil body is sent as JSON, or as a JSON merge
// patch for PATCH. Only transport errors are errors; any HTTP status is returned as is.
func (a *APIServer) Do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	if a.client == nil {
		return 0, nil, errors.New("testenv: apiserver not started")
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.URL+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("testenv: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		ct := "application/json"
		if method == http.MethodPatch {
			ct = "application/merge-patch+json"
		}
		req.Header.Set("Content-Type", ct)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("testenv: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, data, fmt.Errorf("testenv: %s %s: read body: %w", method, path, err)
	}
	return resp.StatusCode, data, nil
}

// Get is Do with GET.
func (a *APIServer) Get(ctx context.Context, path string) (int, []byte, error) {
	return a.Do(ctx, http.MethodGet, path, nil)
}

// Delete is Do with DELETE.
func (a *APIServer) Delete(ctx context.Context, path string) (int, []byte, error) {
	return a.Do(ctx, http.MethodDelete, path, nil)
}

// Post is Do with POST and a JSON body (create).
func (a *APIServer) Post(ctx context.Context, path string, body []byte) (int, []byte, error) {
	return a.Do(ctx, http.MethodPost, path, body)
}

// Put is Do with PUT and a JSON body (replace).
func (a *APIServer) Put(ctx context.Context, path string, body []byte) (int, []byte, error) {
	return a.Do(ctx, http.MethodPut, path, body)
}

// Patch is Do with PATCH and a JSON merge patch body.
func (a *APIServer) Patch(ctx context.Context, path string, body []byte) (int, []byte, error) {
	return a.Do(ctx, http.MethodPatch, path, body)
}
