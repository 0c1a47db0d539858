package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/automation/reconciler"
	"github.com/orbos/orbos/internal/tools"
	"github.com/orbos/orbos/stacks"
	"github.com/orbos/orbos/stacks/program"
)

// BenchmarkNoopRun compares a no-op `orbctl up` and `orbctl preview` (a whole process: Git fetch, ORB
// lock, validation, engine, no commit) with the raw Automation API running the same program on a
// file backend without Git. The ratio is orbos's overhead.
func BenchmarkNoopRun(b *testing.B) {
	o := newORB(b, "bench-noop")
	o.mustRun("up")
	raw := rawStack(b, o)
	ctx := context.Background()
	if _, err := raw.Up(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("up/orbctl", func(b *testing.B) {
		for b.Loop() {
			o.mustRun("up")
		}
	})
	b.Run("up/automation-api", func(b *testing.B) {
		for b.Loop() {
			if _, err := raw.Up(ctx, optup.ExpectNoChanges()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("preview/orbctl", func(b *testing.B) {
		for b.Loop() {
			o.mustRun("preview", "--expect-no-changes")
		}
	})
	b.Run("preview/automation-api", func(b *testing.B) {
		for b.Loop() {
			if _, err := raw.Preview(ctx, optpreview.ExpectNoChanges()); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What the policy pack costs on its own: orbctl without it, the raw Automation API with it.
	b.Run("preview/orbctl-no-policy", func(b *testing.B) {
		for b.Loop() {
			o.mustRun("preview", "--expect-no-changes", "--no-policy")
		}
	})
	pack := filepath.Join(filepath.Dir(orbctlBin), "orbos-policy")
	b.Run("preview/automation-api-with-policy", func(b *testing.B) {
		for b.Loop() {
			if _, err := raw.Preview(ctx, optpreview.ExpectNoChanges(), optpreview.PolicyPacks(pack)); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Where one no-op run of each spends its time (orbctl --verbose), for docs/BENCHMARKS.md.
	for _, op := range []string{"up", "preview"} {
		if r := o.run(op, "--verbose"); r.code == 0 {
			b.Logf("orbctl %s --verbose:\n%s", op, r.stderr)
		}
	}
	o.mustRun("destroy", "--yes")
	if _, err := raw.Destroy(ctx); err != nil {
		b.Fatal(err)
	}
}

// rawStack is the ORB's program on a bare Automation API stack: file backend in a temp dir, no Git,
// no lock, in a namespace of its own.
func rawStack(b *testing.B, o *orb) auto.Stack {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join(o.checkout, stacks.StackFileName(o.name)))
	if err != nil {
		b.Fatal(err)
	}
	spec, err := stacks.Parse(o.name, raw)
	if err != nil {
		b.Fatal(err)
	}
	spec.File.Config.Orbiter.Kubernetes.Namespace = o.namespace() + "-raw"
	s := inlineStack(b, o.name, program.New(spec))
	ctx := context.Background()
	kc, err := os.ReadFile(apiserver.Kubeconfig)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SetConfig(ctx, stacks.KeyKubeconfig, auto.ConfigValue{Value: string(kc), Secret: true}); err != nil {
		b.Fatal(err)
	}
	return s
}

// inlineStack is a bare Automation API stack running prog: file backend in a temp dir, no Git, no
// lock, no validation.
func inlineStack(t testing.TB, name string, prog pulumi.RunFunc) auto.Stack {
	t.Helper()
	bin, err := tools.Find("pulumi")
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(filepath.Dir(bin))})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := auto.UpsertStackInlineSource(context.Background(), name, stacks.Project, prog,
		auto.Pulumi(cmd), auto.WorkDir(dir), auto.PulumiHome(pulumiHome), auto.SecretsProvider("passphrase"),
		auto.EnvVars(map[string]string{
			"PULUMI_BACKEND_URL": "file://" + dir, "PULUMI_CONFIG_PASSPHRASE": "test",
			"PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
			"PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
		}))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// BenchmarkRepoGrowth reports the bytes one changing `orbctl up` adds to the ORB repository: as Git
// first stores them (loose objects) and after `git gc` packs them (the size a clone transfers).
// The desired-state commit that causes the change is not counted.
func BenchmarkRepoGrowth(b *testing.B) {
	o := newORB(b, "bench-growth")
	o.mustRun("up")
	versions := []string{"v1.31.5", "v1.31.4"}
	var loose, packed, runs int64
	for i := 0; b.Loop(); i++ {
		o.mustRun("config", "set", "orbos:orbiter.kubernetes.version", versions[i%2])
		b.StopTimer()
		gc(b, o.remote)
		before, beforePacked := objectBytes(b, o.remote), packBytes(b, o.remote)
		b.StartTimer()
		o.mustRun("up")
		b.StopTimer()
		loose += objectBytes(b, o.remote) - before
		gc(b, o.remote)
		packed += packBytes(b, o.remote) - beforePacked
		b.StartTimer()
		runs++
	}
	b.ReportMetric(float64(loose)/float64(runs), "loose-bytes/run")
	b.ReportMetric(float64(packed)/float64(runs), "packed-bytes/run")
	o.mustRun("destroy", "--yes")
}

func gc(b *testing.B, repo string) {
	b.Helper()
	if out, err := exec.Command("git", "-C", repo, "gc", "-q", "--prune=now").CombinedOutput(); err != nil {
		b.Fatalf("git gc: %v\n%s", err, out)
	}
}

// packBytes is the size of a repository's packs after gc, in bytes.
func packBytes(b *testing.B, repo string) int64 {
	b.Helper()
	out, err := exec.Command("git", "-C", repo, "count-objects", "-v").Output()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "size-pack: "); ok {
			kib, _ := strconv.ParseInt(v, 10, 64)
			return kib * 1024
		}
	}
	b.Fatalf("no size-pack in %s", out)
	return 0
}

// objectBytes is the size of a bare repository's objects in bytes.
func objectBytes(b *testing.B, repo string) int64 {
	b.Helper()
	out, err := exec.Command("du", "-sb", filepath.Join(repo, "objects")).Output()
	if err != nil {
		b.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkReconciler reports the cost of an idle cycle (refs only: time, and the bytes of the ref
// advertisement the remote sends), of a cycle that runs a no-op up (resync), and the reconciler's
// heap after 100 idle cycles.
func BenchmarkReconciler(b *testing.B) {
	o := newORB(b, "bench-rec")
	r := newReconcilerTB(b, o, 0, time.Hour)
	ctx := context.Background()
	if a, err := r.Cycle(ctx); a != reconciler.Applied {
		b.Fatalf("first cycle %s: %v", a, err)
	}
	b.Run("idle-cycle", func(b *testing.B) {
		for b.Loop() {
			if a, err := r.Cycle(ctx); a != reconciler.Idle {
				b.Fatalf("cycle %s: %v", a, err)
			}
		}
		adv, err := exec.Command("git", "upload-pack", "--advertise-refs", o.remote).Output()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(adv)), "bytes-fetched/cycle")
	})
	b.Run("heap-after-100-idle-cycles", func(b *testing.B) {
		for b.Loop() {
			for range 100 {
				if _, err := r.Cycle(ctx); err != nil {
					b.Fatal(err)
				}
			}
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		b.ReportMetric(float64(m.HeapAlloc), "heap-bytes")
	})
	resyncing := newReconcilerTB(b, o, 0, time.Nanosecond)
	b.Run("noop-run-cycle", func(b *testing.B) {
		for b.Loop() {
			if a, err := resyncing.Cycle(ctx); a != reconciler.Applied {
				b.Fatalf("cycle %s: %v", a, err)
			}
		}
	})
	o.mustRun("destroy", "--yes")
}

// BenchmarkKubeadmORB measures runs of an ORB that orbos made on 6 static machines (3 control planes,
// 2 workers, a load balancer): the first up, and then a no-op up and a refresh, each of which reads
// every machine back over SSH.
func BenchmarkKubeadmORB(b *testing.B) {
	k := newKubeadmORB(b, "kubeadm-bench", 2)
	start := time.Now()
	k.mustRun("up")
	b.Logf("first up (init, 2 control-plane joins, 2 worker joins, load balancer): %s", time.Since(start).Round(10*time.Millisecond))
	for _, op := range []string{"up", "refresh"} {
		b.Run(op, func(b *testing.B) {
			for range b.N {
				k.mustRun(op)
			}
		})
	}
}
