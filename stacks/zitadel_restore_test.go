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

// A CockroachDB restore names a subdirectory of the collection (quoted into SQL by the program) or
// latest, and never a Barman backup ID; the restored database is named for its generation.
func TestCockroachRestoreBackup(t *testing.T) {
	p := "config.orbos:zitadel.database.restore.backup"
	crdb := strings.Replace(zitadelFile, "engine: postgres", "engine: cockroachdb", 1)
	crdb = strings.Replace(crdb, "    replicas: 3", "    version: v2.71.0\n    chart: {version: 8.13.4}\n    replicas: 3", 1)
	for _, c := range []struct {
		name, restore string
		paths         []string
		db            string
	}{
		{"subdir", "{generation: 2, backup: 2026/12/01-030000.00}", nil, "zitadel_r2"},
		{"latest to a time", "{generation: 1, backup: latest, toTime: \"2026-12-01T10:00:00Z\"}", nil, "zitadel_r1"},
		{"leading slash", "{generation: 1, backup: /2026/12/01-030000.00}", []string{p}, ""},
		{"a Job's name", "{generation: 1, backup: zitadel-db-20261201030000}", []string{p}, ""},
		{"SQL in it", "{generation: 1, backup: \"2026/12/01-030000.00' --\"}", []string{p}, ""},
		{"with a Barman ID", "{generation: 1, backup: 2026/12/01-030000.00, backupID: 20261201T030000}", []string{p + "ID"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := strings.Replace(crdb, "credentialsSecret: s3-key}\n", "credentialsSecret: s3-key}\n      restore: "+c.restore+"\n", 1)
			s, err := Parse("demo", []byte(f))
			if c.paths == nil {
				if err != nil {
					t.Fatal(err)
				}
				d := s.ZitadelOn().Database
				if got := d.DatabaseName("zitadel"); got != c.db {
					t.Errorf("database %s, want %s", got, c.db)
				}
				if got := d.ClusterName("zitadel-db"); got != "zitadel-db" {
					t.Errorf("the CockroachDB cluster is named %s after a restore, want zitadel-db (its StatefulSet stays)", got)
				}
				return
			}
			assertPaths(t, err, c.paths)
		})
	}
	s, err := Parse("demo", []byte(zitadelFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := s.ZitadelOn().Database.DatabaseName("zitadel"); n != "zitadel" {
		t.Errorf("database before any restore: %s", n)
	}
}
