package stacks

import (
	"strings"
	"testing"
)

// A named postgres backup is restored by its Barman ID, which must look like one; latest takes none.
func TestRestoreBackupID(t *testing.T) {
	p := "config.orbos:zitadel.database.restore.backupID"
	for _, c := range []struct {
		name, restore string
		paths         []string
	}{
		{"named with its ID", "{generation: 1, backup: zitadel-db-20261201030000, backupID: 20261201T030000}", nil},
		{"latest", "{generation: 1, backup: latest}", nil},
		{"named without ID", "{generation: 1, backup: zitadel-db-20261201030000}", []string{p}},
		{"ID not Barman's", "{generation: 1, backup: zitadel-db-1, backupID: \"x'; drop\"}", []string{p}},
		{"latest with an ID", "{generation: 1, backup: latest, backupID: 20261201T030000}", []string{p}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := strings.Replace(zitadelFile, "credentialsSecret: s3-key}\n", "credentialsSecret: s3-key}\n      restore: "+c.restore+"\n", 1)
			_, err := Parse("demo", []byte(f))
			if c.paths == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			assertPaths(t, err, c.paths)
		})
	}
}
