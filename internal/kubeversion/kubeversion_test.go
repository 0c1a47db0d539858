package kubeversion

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, ok := range []string{"v1.31.4", "v0.0.0", "v1.32.10"} {
		if _, err := Parse(ok); err != nil {
			t.Errorf("Parse(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1.31.4", "v1.31", "v1.31.4-rc.0", "v1.31.4+x", " v1.31.4", "v1.31.4\n", "v01.31.4", "v1.31.4\ntouch /tmp/x", "V1.31.4"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestStep(t *testing.T) {
	for _, c := range []struct{ current, desired, refusal string }{
		{"v1.31.4", "v1.31.9", ""},
		{"v1.31.4", "v1.32.0", ""},
		{"v1.31.4", "v1.31.4", ""},
		{"v1.31.4", "v1.33.0", "skips a minor version"},
		{"v1.31.4", "v2.0.0", "skips a minor version"},
		{"v1.31.4", "v1.31.3", "never downgraded"},
		{"v1.31.4", "v1.30.9", "never downgraded"},
		{"", "v1.40.0", ""},        // nothing runs yet
		{"v1.31.4", "garbage", ""}, // validation's business
	} {
		err := Step(c.current, c.desired)
		if (c.refusal == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.refusal) {
			t.Errorf("%s -> %s: %v, want %q", c.current, c.desired, err, c.refusal)
		}
	}
}
