package stacks

import (
	"slices"
	"testing"
)

// The roles sso maps are known for exactly the tools the sso block belongs to.
func TestSSORolesCoverTheToolsSSOBelongsTo(t *testing.T) {
	for _, f := range toolBlocks {
		if yamlName(f) != "sso" {
			continue
		}
		owners := blockOwners(f)
		for _, o := range owners {
			if _, ok := ssoRoles[o]; !ok {
				t.Errorf("sso belongs to %s, which has no roles", o)
			}
		}
		for tool := range ssoRoles {
			if !slices.Contains(owners, tool) {
				t.Errorf("%s has sso roles but sso does not belong to it", tool)
			}
		}
		return
	}
	t.Fatal("no sso block among the tool-specific fields")
}
