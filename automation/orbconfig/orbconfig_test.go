package orbconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The passphrase decrypts every secret of the ORB: a workstation's orbconfig must be its owner's
// alone; one mounted from a Secret may be readable by the pod's fsGroup, never by everyone.
func TestLoadRefusesOrbconfigsOthersCanRead(t *testing.T) {
	content := "orb: demo\nrepository: ssh://git@git.example/orbs/demo.git\npassphrase: not-a-real-one\n"
	for _, tc := range []struct {
		mode          os.FileMode
		load, mounted bool
	}{
		{0o600, true, true},
		{0o400, true, true},
		{0o440, false, true},
		{0o640, false, true},
		{0o444, false, false},
		{0o604, false, false},
	} {
		path := filepath.Join(t.TempDir(), "orbconfig")
		if err := os.WriteFile(path, []byte(content), tc.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if (err == nil) != tc.load || err != nil && !strings.Contains(err.Error(), "readable by others") {
			t.Errorf("Load of a %04o orbconfig: %v", tc.mode, err)
		}
		_, err = LoadMounted(path)
		if (err == nil) != tc.mounted {
			t.Errorf("LoadMounted of a %04o orbconfig: %v", tc.mode, err)
		}
	}
}

// An orbconfig's errors never quote its content, which holds the passphrase.
func TestParseNeverQuotesTheContent(t *testing.T) {
	_, err := Parse([]byte("orb: demo\npassphrase: [s3cret-value\n"))
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Parse: %v", err)
	}
	_, err = Parse([]byte("orb: demo\nrepository: /srv/orb.git\n"))
	if err == nil || !strings.Contains(err.Error(), "passphrase: required") {
		t.Fatalf("Parse of an incomplete orbconfig: %v", err)
	}
}
