package program

import (
	"os"
	"strings"
	"testing"

	"github.com/orbos/orbos/stacks"
)

// The Zitadel example: Zitadel's route on BOOM's Gateway, the database from the spec, the backup
// on the spec's cron; the ORB's ConfigMap names Zitadel's version.
func TestZitadelExamplePlan(t *testing.T) {
	plan := examplePlan(t, "zitadel", func(s string) string { return s })
	for key, want := range map[string]string{
		"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute zitadel":         `spec.parentRefs[0].namespace = "envoy-gateway-system"`,
		"kubernetes:postgresql.cnpg.io/v1:Cluster zitadel-db":               `spec.instances = 3`,
		"kubernetes:postgresql.cnpg.io/v1:ScheduledBackup zitadel-db-daily": `spec.schedule = "0 0 3 * * *"`,
		"kubernetes:barmancloud.cnpg.io/v1:ObjectStore zitadel-db-backups":  `spec.configuration.destinationPath = "s3://example-orb-backups/zitadel-demo"`,
		"kubernetes:core/v1:ConfigMap orb":                                  `data.zitadel = "v4.13.0"`,
	} {
		if in, ok := plan[key]; !ok || !strings.Contains(strings.Join(in, "\n"), want) {
			t.Errorf("%s lacks %s:\n%s", key, want, strings.Join(in, "\n"))
		}
	}
	// Turned off, nothing of Zitadel is planned.
	off := examplePlan(t, "zitadel", func(s string) string {
		return strings.Replace(s, "    enabled: true\n    # Defaults", "    enabled: false\n    # Defaults", 1)
	})
	for k := range off {
		if strings.Contains(k, "zitadel") {
			t.Errorf("Zitadel off plans %s", k)
		}
	}
}

// Without the masterkey orbctl generates, the program stops and says so.
func TestZitadelNeedsItsMasterkey(t *testing.T) {
	raw, err := os.ReadFile("../../examples/zitadel/Pulumi.zitadel-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := stacks.Parse("zitadel-demo", raw)
	if err != nil {
		t.Fatal(err)
	}
	_, err = mockPlan(New(spec), spec.Orb, map[string]string{stacks.KeyKubeconfig: "placeholder", stacks.KeySecrets: `{"smtp-password":"a","backup-key-id":"b","backup-secret-key":"c"}`},
		[]string{stacks.KeyKubeconfig, stacks.KeySecrets})
	if err == nil || !strings.Contains(err.Error(), stacks.KeyZitadelMasterkey) {
		t.Errorf("without a masterkey: %v", err)
	}
}
