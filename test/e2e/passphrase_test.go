package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/orbos/orbos/automation/orbconfig"
)

// An orbconfig whose passphrase does not open the ORB's secrets fails up and preview with that
// reason, prints none of the ORB's secrets, records nothing and leaves the ORB unlocked. (A run
// decrypts the secrets beside the engine's start: this is the path where they do not open.)
func TestAWrongPassphraseRecordsNothing(t *testing.T) {
	o := newORB(t, "wrong-passphrase")
	o.mustRun("up")
	raw, err := os.ReadFile(o.orbconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := orbconfig.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	right := cfg.Passphrase
	bad := strings.Replace(string(raw), right, "not-the-passphrase-of-this-orb", 1)
	if err := os.WriteFile(o.orbconfig, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	head := o.remoteHead()
	for _, op := range []string{"preview", "up"} {
		r := o.run(op)
		if r.code == 0 || !strings.Contains(strings.ToLower(r.stderr), "passphrase") {
			t.Errorf("%s with a wrong passphrase:\n%s", op, r)
		}
		kc, _ := os.ReadFile(apiserver.Kubeconfig)
		for _, line := range strings.Split(string(kc), "\n") {
			if v := strings.TrimSpace(line); len(v) > 40 && strings.Contains(r.stdout+r.stderr, v) {
				t.Errorf("%s printed a line of the kubeconfig", op)
			}
		}
	}
	if o.remoteHead() != head {
		t.Error("a run with a wrong passphrase committed")
	}
	if err := os.WriteFile(o.orbconfig, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := o.run("lock"); !lockFree.MatchString(r.stdout) {
		t.Errorf("the ORB stays locked:\n%s", r)
	}
	o.mustRun("destroy", "--yes")
}
