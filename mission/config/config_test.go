package config

import (
	"strings"
	"testing"
)

const good = `
listen: 127.0.0.1:9090
pollInterval: 10s
publicURL: https://mission.example.com
admin: {user: admin, passwordHash: "$2a$10$abcdefghijklmnopqrstuv"}
oidc: {issuer: https://id.example.com, clientID: mission}
orbs:
  - name: prod
    url: git@git.example.com:ops/prod.git
    deployKeyFile: keys/prod
    knownHosts: "git.example.com ssh-ed25519 AAAA"
    review: true
    grants:
      - {user: alice@example.com, role: operator}
      - {group: ops, role: admin}
      - {group: all, role: viewer}
  - name: dev
    url: /srv/git/dev.git
`

func TestParse(t *testing.T) {
	c, err := Parse([]byte(good), "/etc/mission")
	if err != nil {
		t.Fatal(err)
	}
	prod, _ := c.Orb("prod")
	if prod.DeployKeyFile != "/etc/mission/keys/prod" || prod.Branch != "main" || c.DataDir != "/etc/mission/mission-data" || c.StateDir != "/etc/mission/mission-state" || c.OIDC.GroupsClaim != "groups" {
		t.Fatalf("defaults %+v", c)
	}
	if got := prod.Role("alice@example.com", []string{"all"}); got != RoleOperator {
		t.Fatalf("alice: %s", got)
	}
	if got := prod.Role("bob@example.com", []string{"all", "ops"}); got != RoleAdmin {
		t.Fatalf("bob: %s", got)
	}
	if got := prod.Role("eve@example.com", nil); got != "" {
		t.Fatalf("eve: %s", got)
	}
	if !AtLeast(RoleAdmin, RoleOperator) || AtLeast(RoleViewer, RoleOperator) || AtLeast("", RoleViewer) {
		t.Fatal("AtLeast")
	}
}

// Every wrong field is named by its path, all at once.
func TestParseErrorsByPath(t *testing.T) {
	raw := `
listen: nowhere
pollInterval: 1s
admin: {user: "ad min", passwordHash: plain}
oidc: {issuer: http://id.example.com, clientID: "a b"}
webhooks: [http://hooks.example.com/x]
catalogURL: http://releases.example.com/catalog.yaml
catalogRefresh: 1s
orbs:
  - name: Prod_1
    url: git@git.example.com:ops/prod.git
    branch: "a:b"
    grants: [{user: a, group: b, role: owner}]
  - name: dev
    url: /srv/dev.git
    grafana: "javascript:alert(1)"
    reconcilerStall: 1m
  - name: dev
    url: /srv/dev2.git
`
	_, err := Parse([]byte(raw), "/")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, path := range []string{"listen:", "pollInterval:", "admin.user:", "admin.passwordHash:", "oidc.issuer:", "oidc.clientID:", "publicURL:",
		"webhooks[0]:", "catalogURL:", "catalogRefresh:", "orbs[0].name:", "orbs[0].branch:", "orbs[0].deployKeyFile:", "orbs[0].knownHosts:", "orbs[0].grants[0]:", "orbs[0].grants[0].role:", "orbs[1].grafana:", "orbs[1].reconcilerStall:", "orbs[2].name:"} {
		if !strings.Contains(err.Error(), "\n  "+path) {
			t.Errorf("no error for %s in\n%v", path, err)
		}
	}
	if _, err := Parse([]byte("orbs: []\nunknown: 1\n"), "/"); err == nil || !strings.Contains(err.Error(), "unknown") {
		t.Fatalf("an unknown field: %v", err)
	}
}
