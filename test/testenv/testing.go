package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// SkipEnv names the environment variable that, set to "1", makes StartAPIServerForTest skip
// the test. Nothing else skips: a missing binary fails the test, so CI cannot pass silently.
const SkipEnv = "ORBOS_SKIP_APISERVER"

// StartAPIServerForTest starts a control plane in a temporary directory and stops it when
// the test ends. It fails the test (with the "run `make tools`" hint when a binary is
// missing) unless ORBOS_SKIP_APISERVER=1, in which case it skips it.
func StartAPIServerForTest(t testing.TB) *APIServer {
	t.Helper()
	if os.Getenv(SkipEnv) == "1" {
		t.Skip(SkipEnv + "=1: skipping a test that needs a real kube-apiserver")
	}
	// TempDir registers its removal before our Cleanup below; cleanups run last-in
	// first-out, so the processes stop before their directory disappears.
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	start := time.Now()
	a, err := StartAPIServer(ctx, dir)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Logf("testenv: kube-apiserver at %s ready in %s", a.URL, time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			// The directory is about to be removed; keep the end of the logs in the test output.
			for _, name := range []string{apiserverName, controllerName} {
				t.Logf("--- tail of %s.log ---\n%s", name, tail(filepath.Join(dir, name+".log")))
			}
		}
		if err := a.Stop(); err != nil {
			t.Errorf("testenv: stop: %v", err)
		}
	})
	return a
}
