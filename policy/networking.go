package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orbos/orbos/stacks"
)

// Names of the Cloudflare policies.
const (
	// RecordsProxied is advisory: a DNS record that bypasses Cloudflare's proxy publishes the
	// origin's address, and the WAF rules no longer stand in front of it. Mail and other non-HTTP
	// names need such records, so it warns rather than refuses.
	RecordsProxied = "networking-records-proxied"
	// RulesMarked keeps every rule of the zone's custom-rules ruleset marked as orbos's: the
	// ruleset replaces the zone's rules, and ORBOS's operator told its own rules apart by the mark.
	RulesMarked = "networking-rules-marked"
)

const (
	recordType  = "cloudflare:index/record:Record"
	rulesetType = "cloudflare:index/ruleset:Ruleset"
)

// unproxiedRecord names a record that does not go through the proxy.
func unproxiedRecord(r policyx.AnalyzerResource) string {
	if r.Type != recordType {
		return ""
	}
	if p := at(r.Properties, "proxied"); p.IsBool() && !p.AsBool() {
		name := at(r.Properties, "name")
		n := r.Name
		if name.IsString() {
			n = name.AsString()
		}
		return fmt.Sprintf("DNS record %s is not proxied: it publishes the origin's address, which the WAF rules then do not protect; proxy it unless it serves something other than HTTP", n)
	}
	return ""
}

// unmarkedRule names the rules of a ruleset whose description lacks the orbos mark.
func unmarkedRule(r policyx.AnalyzerResource) string {
	if r.Type != rulesetType {
		return ""
	}
	rules := at(r.Properties, "rules")
	if !rules.IsArray() {
		return ""
	}
	var bad []string
	for i, rule := range rules.AsArray().All {
		if !rule.IsMap() {
			continue
		}
		d := rule.AsMap().Get("description")
		if d.IsComputed() {
			continue
		}
		if !d.IsString() || !strings.HasPrefix(d.AsString(), stacks.RulePrefix) {
			bad = append(bad, fmt.Sprint(i))
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("ruleset %s has rules without the %q mark in their description (%s): the ruleset replaces every custom rule of the zone, so each must be one orbos made", r.Name, stacks.RulePrefix, strings.Join(bad, ", "))
}

// networkingPolicies are the resource policies of the Cloudflare edge.
func networkingPolicies() []policyx.Policy {
	return []policyx.Policy{
		policyx.NewResourceValidationPolicy(RecordsProxied, policyx.ResourceValidationPolicyArgs{
			Description:      "DNS records go through Cloudflare's proxy (advisory)",
			EnforcementLevel: policyx.EnforcementLevelAdvisory,
			ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
				if v := unproxiedRecord(args.Resource); v != "" {
					args.Manager.ReportViolation(v, "")
				}
				return nil
			},
		}),
		resourcePolicy(RulesMarked, "Every WAF custom rule orbos makes is marked \"orbos: \"", unmarkedRule),
	}
}
