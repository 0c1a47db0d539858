package automation

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/stackconfig"
	"github.com/orbos/orbos/automation/statesecrets"
	"github.com/orbos/orbos/stacks/program"
)

// Rotation is what a passphrase rotation did.
type Rotation struct {
	Orb string `json:"orb"`
	// Commit re-encrypted every secret; it is pushed.
	Commit string `json:"commit"`
	// Secrets of the desired state and StateFiles of Pulumi's state re-encrypted.
	Secrets    int `json:"secrets"`
	StateFiles int `json:"stateFiles"`
	// ClusterSecret: the in-cluster orbconfig Secret (after takeoff) holds the new passphrase.
	ClusterSecret bool `json:"clusterSecret"`
}

// RotationUnknownError is a rotation whose push failed in a way that leaves unknown whether the
// remote has it: then only the new passphrase opens the ORB, so the caller keeps it.
type RotationUnknownError struct {
	Commit string
	Err    error
}

func (e *RotationUnknownError) Error() string {
	return fmt.Sprintf("the rotation %s may or may not have reached the remote: if the remote's branch is at it, only the new passphrase opens the ORB: %v", e.Commit, e.Err)
}

func (e *RotationUnknownError) Unwrap() error { return e.Err }

// MinPassphraseLength is the shortest passphrase a rotation takes.
const MinPassphraseLength = 16

// RotatePassphrase re-encrypts every secret of the ORB (the desired state's, with a new
// encryptionsalt, and every secret of Pulumi's state: checkpoint and history) under passphrase, in
// one commit, pushed under the ORB lock. Once the remote has the commit, published puts the new
// orbconfig in place (the caller staged it before, so that no moment exists in which the remote is
// re-encrypted and the new passphrase is nowhere); after takeoff, the in-cluster orbconfig Secret
// gets it too and the reconciler restarts with it, before the lock is released. When the push's
// outcome is unknown, the error is a *RotationUnknownError. A failed push drops
// the commit from the checkout: the old passphrase keeps working.
func (o *Orb) RotatePassphrase(ctx context.Context, passphrase string, published func(*orbconfig.Config) error) (_ *Rotation, err error) {
	if len(passphrase) < MinPassphraseLength {
		return nil, fmt.Errorf("the new passphrase has %d characters; at least %d", len(passphrase), MinPassphraseLength)
	}
	if passphrase == o.opts.Config.Passphrase {
		return nil, errors.New("the new passphrase is the old one")
	}
	o.redactor.Add(passphrase)
	t, err := o.begin(ctx, "secrets rotate", newRunID(time.Now()))
	if err != nil {
		return nil, err
	}
	// End releases the lock, or keeps it marked when the rotation's commit may not have reached the
	// remote (then only this checkout holds it).
	defer func() { err = errors.Join(err, t.End(context.WithoutCancel(ctx))) }()
	before, err := o.repo.Head()
	if err != nil {
		return nil, err
	}
	f, _, err := o.StackFile()
	if err != nil {
		return nil, err
	}
	from, err := o.crypter(f)
	if err != nil {
		return nil, err
	}
	spec, err := o.loadSpec()
	if err != nil {
		return nil, err
	}
	// After takeoff the reconciler's orbconfig Secret holds the passphrase too.
	var kubeconfig string
	if r := spec.File.Config.Reconciler; r != nil && r.Image != "" {
		if kubeconfig, err = o.clusterKubeconfig(ctx, spec); err != nil {
			return nil, fmt.Errorf("reading the cluster's kubeconfig, to rewrite the reconciler's orbconfig: %w", err)
		}
	}
	salt, err := stackconfig.NewEncryptionSalt(passphrase)
	if err != nil {
		return nil, err
	}
	to, err := stackconfig.NewCrypter(passphrase, salt)
	if err != nil {
		return nil, err
	}
	rot := &Rotation{Orb: o.name()}
	if rot.Secrets, err = f.Rekey(from, to, salt); err != nil {
		return nil, err
	}
	raw, err := f.Bytes()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(o.stackFilePath(), raw, 0o644); err != nil {
		return nil, fmt.Errorf("writing the desired state: %w", err)
	}
	if rot.StateFiles, err = o.rekeyState(ctx, to, salt); err != nil {
		return nil, errors.Join(err, o.repo.Reset(before))
	}
	h, err := o.repo.CommitAll(record.Message(fmt.Sprintf("orbos secrets %s: rotate the passphrase", o.name()),
		fmt.Sprintf("Every secret of the desired state (%d) and of the state (%d files) re-encrypted under a new passphrase.", rot.Secrets, rot.StateFiles),
		record.Trailers{record.KeyOperation: "secrets rotate", record.KeyHolder: o.holder()}))
	if err != nil {
		return nil, errors.Join(err, o.repo.Reset(before))
	}
	rot.Commit = h.String()
	o.progressf("re-encrypted %d secrets of the desired state and %d state files; pushing %.12s\n", rot.Secrets, rot.StateFiles, rot.Commit)
	if perr := t.Publish(ctx); perr != nil {
		remote, rerr := o.repo.RemoteBranchHead(ctx)
		if rerr != nil {
			return nil, &RotationUnknownError{Commit: rot.Commit, Err: errors.Join(perr, rerr)}
		}
		if remote != rot.Commit {
			return nil, errors.Join(fmt.Errorf("the rotation was not pushed; the old passphrase stays: %w", perr), o.repo.Reset(before))
		}
	}
	newCfg := *o.opts.Config
	newCfg.Passphrase = passphrase
	if err := published(&newCfg); err != nil {
		return rot, fmt.Errorf("the rotation %s is pushed, but the new orbconfig was not put in place: %w", rot.Commit, err)
	}
	o.opts.Config = &newCfg
	if kubeconfig != "" {
		if err := o.rotateClusterSecret(ctx, spec.Kubernetes().Namespace, kubeconfig, &newCfg); err != nil {
			return rot, fmt.Errorf("the rotation %s is pushed and the orbconfig rewritten, but the in-cluster Secret still holds the old passphrase (run orbctl takeoff again): %w", rot.Commit, err)
		}
		rot.ClusterSecret = true
	}
	return rot, nil
}

// rekeyState re-encrypts every secret of Pulumi's state files in the checkout and returns how many
// files it rewrote.
func (o *Orb) rekeyState(ctx context.Context, to config.Encrypter, salt string) (int, error) {
	n := 0
	err := filepath.WalkDir(filepath.Join(o.Checkout(), ".pulumi"), func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := statesecrets.Parse(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out, err := doc.Reencrypt(ctx, o.stateCrypter, to, salt)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if string(out) == string(raw) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		tmp := path + ".orbos-rotate"
		if err := os.WriteFile(tmp, out, info.Mode().Perm()); err != nil {
			return err
		}
		n++
		return os.Rename(tmp, path)
	})
	return n, err
}

// rotateClusterSecret writes the new passphrase into the in-cluster orbconfig (which keeps its own
// repository URL and deploy key) and restarts the reconciler's pods, which read it at start.
func (o *Orb) rotateClusterSecret(ctx context.Context, namespace, kubeconfig string, cfg *orbconfig.Config) error {
	client, err := newKubeClient(kubeconfig)
	if err != nil {
		return err
	}
	inCluster := *cfg
	current, found, err := client.secretValue(ctx, namespace, program.OrbconfigSecret, "orbconfig")
	if err != nil {
		return err
	}
	if found {
		c, err := orbconfig.Parse(current)
		if err != nil {
			return fmt.Errorf("the Secret %s/%s: the orbconfig in it %w", namespace, program.OrbconfigSecret, err)
		}
		c.Passphrase = cfg.Passphrase
		inCluster = *c
	}
	raw, err := yaml.Marshal(&inCluster)
	if err != nil {
		return fmt.Errorf("encoding the orbconfig: %w", err)
	}
	if err := client.applySecret(ctx, namespace, program.OrbconfigSecret, map[string][]byte{"orbconfig": raw},
		map[string]string{"app.kubernetes.io/managed-by": "orbos", "orbos.io/orb": o.name()}); err != nil {
		return err
	}
	o.progressf("wrote the new orbconfig into the Secret %s/%s\n", namespace, program.OrbconfigSecret)
	sel := url.QueryEscape("app.kubernetes.io/name=" + program.ReconcilerName)
	code, _, err := client.do(ctx, http.MethodDelete, "/api/v1/namespaces/"+namespace+"/pods?labelSelector="+sel, nil)
	if err != nil {
		return fmt.Errorf("restarting the reconciler: %w", err)
	}
	if code/100 != 2 {
		return fmt.Errorf("restarting the reconciler: the API server answered HTTP %d", code)
	}
	return nil
}
