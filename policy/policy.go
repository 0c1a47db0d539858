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
	PinnedReleases   = "helm-releases-pinned"
	ZitadelBackups   = "zitadel-backups"
	ExposedTLS       = "boom-exposed-with-tls"
	DurableMetrics   = "boom-prometheus-storage-in-production"
	GatewayHTTPS     = "boom-gateway-https-only"
	// The same two over what the program renders, judged by the engine per resource.
	IngressTLS        = "ingress-with-tls"
	PrometheusStorage = "prometheus-storage-in-production"
	PlainHTTP         = "gateway-no-plain-http"
)

// Pack builds the policy pack for one stack. The rules over the whole ORB are stack policies, judged
// when the program has finished; orbctl also judges them in-process (Judge) before the engine
// starts, so that an up needs no preview of its own to refuse a bad desired state. The rules over
// single resources are resource policies, which the engine checks before it changes each resource.
func Pack(ctx *pulumi.Context, current string) (policyx.PolicyPack, error) {
	values, secret := map[string]string{}, map[string]bool{}
	for _, key := range judgedKeys {
		if v := config.Get(ctx, key); v != "" {
			values[key] = v
			secret[key] = ctx.IsConfigSecret(key)
		}
	}
	in, err := NewInput(values, secret, current)
	if err != nil {
		return nil, err
	}
	policies := []policyx.Policy{}
	for _, r := range stackRules {
		policies = append(policies, stackPolicy(r, in))
	}
	policies = append(policies, resourcePolicy(PinnedReleases, "Every Helm release the program deploys names an exact chart version", pinnedRelease))
	policies = append(policies,
		resourcePolicy(IngressTLS, "Once BOOM's certificates are on, every rendered Ingress has TLS", in.renderedWithoutTLS),
		resourcePolicy(PrometheusStorage, "A production ORB's rendered Prometheus keeps its data on a volume claim", in.renderedWithoutStorage),
		resourcePolicy(PlainHTTP, "Once BOOM's certificates are on, no rendered Gateway listener or HTTPRoute serves plain HTTP but the HTTPS redirect", in.renderedPlainHTTP))
	policies = append(policies, zitadelPolicies()...)
	policies = append(policies, networkingPolicies()...)
	return policyx.NewPolicyPack(PackName, semver.MustParse("0.2.0"), policyx.EnforcementLevelMandatory, policies)
}

// resourcePolicy is a mandatory policy over each resource; check says what is wrong, "" when nothing.
func resourcePolicy(name, description string, check func(policyx.AnalyzerResource) string) policyx.Policy {
	return policyx.NewResourceValidationPolicy(name, policyx.ResourceValidationPolicyArgs{
		Description:      description,
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			if v := check(args.Resource); v != "" {
				args.Manager.ReportViolation(v, "")
			}
			return nil
		},
	})
}

// stackPolicy is a mandatory policy over the whole ORB.
func stackPolicy(r rule, in *Input) policyx.Policy {
	return policyx.NewStackValidationPolicy(r.name, policyx.StackValidationPolicyArgs{
		Description:      r.description,
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			for _, v := range r.check(in) {
				args.Manager.ReportViolation(v, "")
			}
			return nil
		},
	})
}

func (o *Input) versionStep() []string {
	if o.Orbiter == nil {
		return nil
	}
	if err := kubeversion.Step(o.Current, o.Orbiter.Kubernetes.Version); err != nil {
		return []string{err.Error()}
	}
	return nil
}

func (o *Input) controlPlanes() []string {
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

func (o *Input) plaintextSecrets() []string {
	var out []string
	for key, v := range o.Values {
		if o.Secret[key] {
			continue
		}
		if secretName.MatchString(key) || secretValue.MatchString(v) {
			out = append(out, fmt.Sprintf("config %s holds a secret-looking value in plaintext: set it with `orbctl config set --secret %s`", key, key))
		}
		// Inside structured sections, look at the keys and values of the section.
		var section map[string]any
		if json.Unmarshal([]byte(v), &section) == nil {
			walk(key, section, func(path string, value string) {
				if secretValue.MatchString(value) || (secretName.MatchString(path[strings.LastIndex(path, ".")+1:]) && value != "" && !namesASecret(path, value)) {
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

func (o *Input) worldOpen() []string {
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

func (o *Input) pinnedCharts() []string {
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
	return out
}

// pinnedRelease says what is wrong with one resource's chart version, "" when nothing is.
func pinnedRelease(r policyx.AnalyzerResource) string {
	v, ok := r.Properties.GetOk("version")
	switch {
	case r.Type == helmChartV4:
		// A Chart v4 is a component whose outputs are its objects, not its inputs: its version
		// is its BOOM tool's, checked on the spec and on the tool.
		return ""
	case r.Type == boomToolType:
		if ok && (!v.IsString() || !exactVersion.MatchString(v.AsString())) {
			return fmt.Sprintf("BOOM tool %s has no pinned chart version", r.Name)
		}
		return ""
	case !strings.HasPrefix(r.Type, "kubernetes:helm.sh/"):
		return ""
	case !ok || !v.IsString() || !exactVersion.MatchString(v.AsString()):
		return fmt.Sprintf("Helm release %s has no pinned chart version", r.Name)
	}
	return ""
}

func (o *Input) zitadelBackups() []string {
	if o.Zitadel == nil || !o.Zitadel.Enabled {
		return nil
	}
	if b := o.Zitadel.Database.Backups; b == nil || b.Schedule == "" {
		return []string{"Zitadel is enabled without orbos:zitadel.database.backups.schedule: its database would have no backups"}
	}
	return nil
}
