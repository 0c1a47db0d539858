// Package policy is orbos's Go policy pack. orbctl runs it with every preview and up (the
// executable orbos-policy), and CI runs it against the example ORBs. Each policy reads the ORB's
// desired state from the stack config the engine hands the pack, and, where it needs to know what
// runs now, the environment orbctl sets for the engine.
package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orbos/orbos/internal/kubeversion"
	"github.com/orbos/orbos/stacks"
)

// PackName is the policy pack's name in the engine's reports.
const PackName = "orbos"

// CurrentVersionEnv carries the Kubernetes version the ORB runs now (from its status) to the pack.
const CurrentVersionEnv = "ORBOS_CURRENT_KUBERNETES_VERSION"

// Names of the policies.
const (
	VersionStep      = "kubernetes-version-step"
	ControlPlanes    = "control-plane-count"
	PlaintextSecrets = "no-plaintext-secrets"
	WorldOpen        = "ssh-and-kubeapi-not-world-open"
	PinnedCharts     = "helm-charts-pinned"
	ZitadelBackups   = "zitadel-backups"
	ExposedTLS       = "boom-exposed-with-tls"
	DurableMetrics   = "boom-prometheus-storage-in-production"
)

// orb is what the policies read from the stack config.
type orb struct {
	Orbiter *stacks.Orbiter `json:"orbos:orbiter"`
	Boom    *stacks.Boom    `json:"orbos:boom"`
	Zitadel *stacks.Zitadel `json:"orbos:zitadel"`
	// config holds every plain value, secrets marks the encrypted keys.
	config  map[string]string
	secrets map[string]bool
	current string
}

// Pack builds the policy pack for one stack.
func Pack(ctx *pulumi.Context, current string) (policyx.PolicyPack, error) {
	o := &orb{config: map[string]string{}, secrets: map[string]bool{}, current: current}
	for _, key := range []string{stacks.KeyOrbiter, stacks.KeyBoom, stacks.KeyZitadel} {
		raw := config.Get(ctx, key)
		if raw == "" {
			continue
		}
		var into any
		switch key {
		case stacks.KeyOrbiter:
			o.Orbiter = &stacks.Orbiter{}
			into = o.Orbiter
		case stacks.KeyBoom:
			o.Boom = &stacks.Boom{}
			into = o.Boom
		case stacks.KeyZitadel:
			o.Zitadel = &stacks.Zitadel{}
			into = o.Zitadel
		}
		if err := json.Unmarshal([]byte(raw), into); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	for _, key := range []string{stacks.KeyKubeconfig, stacks.KeySSHKey, stacks.KeyOrbiter, stacks.KeyBoom, stacks.KeyZitadel, stacks.KeyNetworking} {
		if v := config.Get(ctx, key); v != "" {
			o.config[key] = v
			o.secrets[key] = ctx.IsConfigSecret(key)
		}
	}
	return policyx.NewPolicyPack(PackName, semver.MustParse("0.1.0"), policyx.EnforcementLevelMandatory, []policyx.Policy{
		stackPolicy(VersionStep, "Kubernetes moves at most one minor version per run, and never down", o.versionStep),
		stackPolicy(ControlPlanes, "The control plane has 1, 3 or 5 nodes", o.controlPlanes),
		stackPolicy(PlaintextSecrets, "No secret-looking value is stored in plaintext", o.plaintextSecrets),
		stackPolicy(WorldOpen, "SSH and the Kubernetes API are not open to the whole internet unless the spec says so", o.worldOpen),
		stackPolicy(PinnedCharts, "Every Helm chart version is pinned", o.pinnedCharts),
		stackPolicy(ZitadelBackups, "Zitadel has scheduled backups", o.zitadelBackups),
		stackPolicy(ExposedTLS, "Once BOOM's certificates are on, no tool is exposed without TLS", o.exposedWithTLS),
		stackPolicy(DurableMetrics, "Prometheus keeps its data on a persistent volume in a production ORB", o.durableMetrics),
	})
}

// stackPolicy is a mandatory policy over the whole ORB; check returns the violations.
func stackPolicy(name, description string, check func([]policyx.AnalyzerResource) []string) policyx.Policy {
	return policyx.NewStackValidationPolicy(name, policyx.StackValidationPolicyArgs{
		Description:      description,
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			for _, v := range check(args.Resources) {
				args.Manager.ReportViolation(v, "")
			}
			return nil
		},
	})
}

func (o *orb) versionStep([]policyx.AnalyzerResource) []string {
	if o.Orbiter == nil {
		return nil
	}
	if err := kubeversion.Step(o.current, o.Orbiter.Kubernetes.Version); err != nil {
		return []string{err.Error()}
	}
	return nil
}

func (o *orb) controlPlanes([]policyx.AnalyzerResource) []string {
	if o.Orbiter == nil || o.Orbiter.Kubernetes.ControlPlane == nil {
		return nil
	}
	if n := o.Orbiter.Kubernetes.ControlPlane.Nodes; n != 1 && n != 3 && n != 5 {
		return []string{fmt.Sprintf("%d control-plane nodes: etcd needs 1, 3 or 5", n)}
	}
	return nil
}

var (
	secretName  = regexp.MustCompile(`(?i)(password|passwd|secret|token|private|apikey|api_key|credential|kubeconfig|sshkey)`)
	secretValue = regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----|(?i)\btoken:\s*\S{16,}|client-key-data:|\bAKIA[0-9A-Z]{16}\b|\bghp_[A-Za-z0-9]{30,}`)
)

func (o *orb) plaintextSecrets(resources []policyx.AnalyzerResource) []string {
	var out []string
	for key, v := range o.config {
		if o.secrets[key] {
			continue
		}
		if secretName.MatchString(key) || secretValue.MatchString(v) {
			out = append(out, fmt.Sprintf("config %s holds a secret-looking value in plaintext: set it with `orbctl config set --secret %s`", key, key))
		}
		// Inside structured sections, look at the keys and values of the section.
		var section map[string]any
		if json.Unmarshal([]byte(v), &section) == nil {
			walk(key, section, func(path string, value string) {
				if secretValue.MatchString(value) || (secretName.MatchString(path[strings.LastIndex(path, ".")+1:]) && value != "") {
					out = append(out, fmt.Sprintf("%s holds a secret-looking value in plaintext", path))
				}
			})
		}
	}
	sort.Strings(out)
	return out
}

func walk(path string, v any, leaf func(path, value string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			walk(path+"."+k, e, leaf)
		}
	case []any:
		for i, e := range t {
			walk(fmt.Sprintf("%s[%d]", path, i), e, leaf)
		}
	case string:
		leaf(path, t)
	}
}

func world(cidrs []string) bool {
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Bits() == 0 {
			return true
		}
	}
	return false
}

func (o *orb) worldOpen([]policyx.AnalyzerResource) []string {
	if o.Orbiter == nil || o.Orbiter.Firewall == nil {
		return nil
	}
	f := o.Orbiter.Firewall
	allowed := map[string]bool{}
	for _, k := range f.AllowWorld {
		allowed[k] = true
	}
	var out []string
	if world(f.SSH) && !allowed["ssh"] {
		out = append(out, "firewall.ssh opens SSH to the whole internet; narrow it, or add ssh to firewall.allowWorld")
	}
	kubeAPI := f.KubeAPI
	if lb := o.Orbiter.LoadBalancing; lb != nil {
		for _, v := range lb.VIPs {
			for _, t := range v.Transports {
				if t.Name == "kubeapi" {
					kubeAPI = append(kubeAPI, t.Whitelist...)
				}
			}
		}
	}
	if world(kubeAPI) && !allowed["kubeAPI"] {
		out = append(out, "the Kubernetes API is open to the whole internet; narrow firewall.kubeAPI, or add kubeAPI to firewall.allowWorld")
	}
	return out
}

// The types whose chart version the pinned-charts policy finds elsewhere than in their outputs (the
// policy pack does not import components, which would pull the Kubernetes SDK into it).
const (
	helmChartV4  = "kubernetes:helm.sh/v4:Chart"
	boomToolType = "orbos:boom:Tool"
)

var exactVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$`)

func (o *orb) pinnedCharts(resources []policyx.AnalyzerResource) []string {
	var out []string
	if o.Boom != nil {
		for _, name := range stacks.SortedKeys(o.Boom.Tools) {
			v := o.Boom.Tools[name].Chart.Version
			if _, known := stacks.BoomCatalog[name]; v == "" && known {
				continue // the catalog's chart, pinned
			}
			if !exactVersion.MatchString(v) {
				out = append(out, fmt.Sprintf("BOOM tool %s has chart version %q: pin an exact version", name, v))
			}
		}
	}
	for _, r := range resources {
		v, ok := r.Properties.GetOk("version")
		switch r.Type {
		case helmChartV4:
			// A Chart v4 is a component whose outputs are its objects, not its inputs: its version
			// is its BOOM tool's, checked on the spec above and on the tool's outputs.
			continue
		case boomToolType:
			if ok && (!v.IsString() || !exactVersion.MatchString(v.AsString())) {
				out = append(out, fmt.Sprintf("BOOM tool %s has no pinned chart version", r.Name))
			}
			continue
		}
		if !strings.HasPrefix(r.Type, "kubernetes:helm.sh/") {
			continue
		}
		if !ok || !v.IsString() || !exactVersion.MatchString(v.AsString()) {
			out = append(out, fmt.Sprintf("Helm release %s has no pinned chart version", r.Name))
		}
	}
	return out
}

func (o *orb) zitadelBackups([]policyx.AnalyzerResource) []string {
	if o.Zitadel == nil || !o.Zitadel.Enabled {
		return nil
	}
	if b := o.Zitadel.Backups; b == nil || b.Schedule == "" {
		return []string{"Zitadel is enabled without orbos:zitadel.backups.schedule: its database would have no backups"}
	}
	return nil
}
