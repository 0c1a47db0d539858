package policy

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// A record off the proxy is named with the reason; a proxied one, and other resources, pass.
func TestRecordsProxied(t *testing.T) {
	record := func(proxied bool) policyx.AnalyzerResource {
		return policyx.AnalyzerResource{Type: recordType, Name: "record-mail", Properties: property.NewMap(map[string]property.Value{
			"name": property.New("mail"), "proxied": property.New(proxied)})}
	}
	if got := unproxiedRecord(record(true)); got != "" {
		t.Errorf("proxied: %s", got)
	}
	if got := unproxiedRecord(record(false)); !strings.Contains(got, "mail is not proxied") {
		t.Errorf("not proxied: %q", got)
	}
	other := record(false)
	other.Type = secretType
	if got := unproxiedRecord(other); got != "" {
		t.Errorf("a Secret: %s", got)
	}
	for _, p := range networkingPolicies() {
		if p.Name() == RecordsProxied && p.EnforcementLevel() != policyx.EnforcementLevelAdvisory {
			t.Errorf("%s is %v, not advisory", p.Name(), p.EnforcementLevel())
		}
	}
}

// Every rule of a ruleset carries the orbos mark; the unmarked ones are named by index.
func TestRulesMarked(t *testing.T) {
	ruleset := func(descriptions ...string) policyx.AnalyzerResource {
		var rules []any
		for _, d := range descriptions {
			rules = append(rules, map[string]any{"description": d, "expression": "(true)", "action": "block"})
		}
		return policyx.AnalyzerResource{Type: rulesetType, Name: "firewall", Properties: obj(map[string]any{"rules": rules})}
	}
	if got := unmarkedRule(ruleset("orbos: a", "orbos: b")); got != "" {
		t.Errorf("marked: %s", got)
	}
	if got := unmarkedRule(ruleset("orbos: a", "by hand", "orbos: c")); !strings.Contains(got, "(1)") {
		t.Errorf("unmarked: %q", got)
	}
}

// The Zitadel example, with its Cloudflare section (a zone ID of 32 hex digits, a token reference),
// passes the rules over the whole ORB.
func TestZitadelExampleWithCloudflarePasses(t *testing.T) {
	in, err := InputFromStackFile(readExample(t, "zitadel"), "")
	if err != nil {
		t.Fatal(err)
	}
	if in.Values["orbos:networking"] == "" {
		t.Fatal("the example has no orbos:networking")
	}
	if v := Judge(in); len(v) != 0 {
		t.Errorf("the zitadel example: %v", v)
	}
}
