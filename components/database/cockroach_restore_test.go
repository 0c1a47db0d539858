package database

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/orbos/orbos/stacks"
)

const jobT = "kubernetes:batch/v1:Job"

func cockroachRestored(r *stacks.Restore) stacks.Database {
	b := backups("s3")
	b.EncryptionSecret = "passphrase"
	return stacks.Database{Engine: stacks.EngineCockroachDB, Instances: 3, Storage: stacks.Storage{Size: "20Gi"}, Backups: b, Restore: r}
}

// container is the Job's only container.
func container(t *testing.T, job resource.PropertyValue) resource.PropertyMap {
	t.Helper()
	cs := job.ObjectValue()["spec"].ObjectValue()["template"].ObjectValue()["spec"].ObjectValue()["containers"].ArrayValue()
	if len(cs) != 1 {
		t.Fatalf("%d containers", len(cs))
	}
	return cs[0].ObjectValue()
}

// A CockroachDB restore is a Job per generation, after the release and the Secret with the
// collection's URI: RESTORE of the previous live database from the named subdirectory (or LATEST),
// to the point in time, into zitadel_r<N>, with the URI and passphrase only by Secret reference.
// Zitadel's database follows the generation; without a restore there is no Job.
func TestCockroachRestoreJob(t *testing.T) {
	for _, c := range []struct {
		name    string
		restore stacks.Restore
		want    []string
	}{
		{"first, named", stacks.Restore{Generation: 1, Backup: "2026/12/01-030000.00"},
			[]string{"RESTORE DATABASE zitadel FROM '2026/12/01-030000.00' IN $(q \"$BACKUP_URI\") WITH new_db_name = 'zitadel_r1'"}},
		{"second, latest to a time", stacks.Restore{Generation: 2, Backup: "latest", ToTime: "2026-12-01T11:00:00+01:00"},
			[]string{"RESTORE DATABASE zitadel_r1 FROM LATEST IN $(q \"$BACKUP_URI\") AS OF SYSTEM TIME '2026-12-01 10:00:00' WITH new_db_name = 'zitadel_r2'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.restore
			m, db := install(t, "demo", cockroachRestored(&r))
			name := RestoreJobName("zitadel-db", r.Generation)
			job := m.Get(t, jobT, name)
			if !job.DependsOn("kubernetes:helm.sh/v3:Release", "zitadel-db") || !job.DependsOn(secretType, "zitadel-db-backup-target") {
				t.Errorf("the Job does not come after the release and the target Secret: %v", job.Deps)
			}
			ctr := container(t, resource.NewObjectProperty(job.Inputs))
			script := ctr["command"].ArrayValue()[2].StringValue()
			want := append(c.want, "--database=zitadel_r", "OWNER TO zitadel", "GRANT ALL ON DATABASE zitadel_r")
			for _, w := range want {
				if !strings.Contains(script, w) {
					t.Errorf("script lacks %q:\n%s", w, script)
				}
			}
			env := ctr["env"].ArrayValue()
			for i, want := range [][2]string{{"BACKUP_URI", "uri"}, {"BACKUP_PASSPHRASE", "passphrase"}} {
				ref := env[i].ObjectValue()["valueFrom"].ObjectValue()["secretKeyRef"].ObjectValue()
				if env[i].ObjectValue()["name"].StringValue() != want[0] || ref["name"].StringValue() != "zitadel-db-backup-target" || ref["key"].StringValue() != want[1] {
					t.Errorf("env %d: %v", i, env[i])
				}
			}
			if raw := fmt.Sprint(job.Inputs.Mappable()); strings.Contains(raw, "value-of-") {
				t.Errorf("a secret's value in the Job's spec: %s", raw)
			}
			if db.Name != fmt.Sprintf("zitadel_r%d", r.Generation) {
				t.Errorf("Zitadel's database %s", db.Name)
			}
		})
	}
	m, db := install(t, "demo", cockroachRestored(nil))
	for _, r := range m.All {
		if r.Type == jobT && strings.Contains(r.Name, "restore") {
			t.Errorf("a restore Job without a restore: %s", r.Name)
		}
	}
	if db.Name != "zitadel" {
		t.Errorf("database %s before any restore", db.Name)
	}
}

// The restore script, run with sh against a stand-in cockroach that records what it is asked: the
// URI and passphrase are quoted as SQL strings whatever they hold; a database that exists already
// (the Job run again) is not restored over, and Zitadel's user gets it either way.
func TestCockroachRestoreScript(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	stub := "#!/bin/sh\nfor a; do case \"$a\" in --execute=*) printf '%s\\n' \"${a#--execute=}\" >> \"$LOG\";; esac; done\n" +
		"case \"$*\" in *'SHOW DATABASES'*) printf 'count\\n%s\\n' \"$EXISTS\";; esac\n"
	if err := os.WriteFile(filepath.Join(dir, "cockroach"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	script := restoreScript("zitadel-db-cockroachdb-public", "zitadel_r2", "zitadel", &stacks.Restore{Generation: 2, Backup: "2026/12/01-030000.00"}, "zitadel")
	// The certificate copies need files the stand-in's directory lacks: start at the quoting.
	script = script[strings.Index(script, "q() {"):]
	grant := "ALTER DATABASE zitadel_r2 OWNER TO zitadel; GRANT ALL ON DATABASE zitadel_r2 TO zitadel; REASSIGN OWNED BY root TO zitadel"
	for _, c := range []struct {
		name, uri, pass, exists string
		want                    []string
	}{
		{"restored", "s3://b/p?AWS_SECRET_ACCESS_KEY=a%27b", "it's $(x) `y`", "0", []string{
			"SELECT count(*) FROM [SHOW DATABASES] WHERE database_name = 'zitadel_r2'",
			"RESTORE DATABASE zitadel_r1 FROM '2026/12/01-030000.00' IN 's3://b/p?AWS_SECRET_ACCESS_KEY=a%27b' WITH new_db_name = 'zitadel_r2', encryption_passphrase = 'it''s $(x) `y`'",
			grant}},
		{"unencrypted", "gs://b/p?AUTH=specified", "", "0", []string{
			"SELECT count(*) FROM [SHOW DATABASES] WHERE database_name = 'zitadel_r2'",
			"RESTORE DATABASE zitadel_r1 FROM '2026/12/01-030000.00' IN 'gs://b/p?AUTH=specified' WITH new_db_name = 'zitadel_r2'",
			grant}},
		{"exists already", "s3://b/p", "", "1", []string{
			"SELECT count(*) FROM [SHOW DATABASES] WHERE database_name = 'zitadel_r2'",
			grant}},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(log)
			cmd := exec.Command("sh", "-c", script)
			cmd.Env = []string{"PATH=" + dir + ":/usr/bin:/bin", "LOG=" + log, "EXISTS=" + c.exists, "BACKUP_URI=" + c.uri, "BACKUP_PASSPHRASE=" + c.pass}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			raw, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("statements:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}
