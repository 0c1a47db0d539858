package database

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/mockengine"
	"github.com/orbos/orbos/stacks"
)

const (
	secretType = "kubernetes:core/v1:Secret"
	clusterT   = "kubernetes:postgresql.cnpg.io/v1:Cluster"
	storeT     = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"
	scheduledT = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup"
	toolT      = "orbos:boom:Tool"
)

func backups(typ string) *stacks.DBBackups {
	o := stacks.ObjectStore{Type: typ, Bucket: "orb-backups", Path: "demo", CredentialsSecret: "store-key"}
	if typ == "s3" {
		o.AccessKeyIDSecret, o.Endpoint = "store-id", "https://s3.example.com"
	}
	return &stacks.DBBackups{Schedule: "30 2 * * 1-5", Retention: "8w", ObjectStore: o}
}

func stackSecret(name string) (pulumi.StringOutput, error) {
	return pulumi.ToSecret(pulumi.String("value-of-" + name)).(pulumi.StringOutput), nil
}

func install(t *testing.T, orb string, db stacks.Database) (*mockengine.Engine, *Database) {
	t.Helper()
	return installWith(t, orb, db, stackSecret)
}

// installWith installs with the stack's secrets from secret.
func installWith(t *testing.T, orb string, db stacks.Database, secret func(string) (pulumi.StringOutput, error)) (*mockengine.Engine, *Database) {
	t.Helper()
	var out *Database
	m, err := mockengine.Run(t, orb, func(ctx *pulumi.Context) error {
		var err error
		out, err = New(ctx, Args{Orb: orb, Name: "zitadel-db", Namespace: "zitadel", DB: db, Database: "zitadel", Owner: "zitadel",
			Labels: map[string]string{"orbos.io/orb": orb}, StackSecret: secret, Orbctl: "orbctl"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, out
}

// PostgreSQL: the operator and the plugin (each with its CRD step), then a Cluster of the spec's
// instances, storage and resources that archives WAL through the plugin into the ObjectStore, and a
// ScheduledBackup on the spec's cron in CloudNativePG's six fields.
func TestPostgresClusterWithBackups(t *testing.T) {
	m, db := install(t, "demo", stacks.Database{Engine: stacks.EnginePostgres, Instances: 3,
		Storage: stacks.Storage{Size: "20Gi", StorageClass: "fast"}, Resources: &stacks.Resources{Limits: map[string]string{"memory": "2Gi"}},
		Backups: backups("s3")})
	for _, name := range []string{"cloudnative-pg", "barman-cloud"} {
		m.Get(t, toolT, name)
	}
	if v := m.Get(t, "kubernetes:helm.sh/v4:Chart", "cloudnative-pg").Str("version"); v != "0.29.0" {
		t.Errorf("operator chart %s", v)
	}
	c := m.Get(t, clusterT, "zitadel-db")
	if n := c.At("spec", "instances"); !n.IsNumber() || n.NumberValue() != 3 {
		t.Errorf("instances %v", n)
	}
	if c.Str("spec", "storage", "size") != "20Gi" || c.Str("spec", "storage", "storageClass") != "fast" || c.Str("spec", "resources", "limits", "memory") != "2Gi" {
		t.Errorf("storage or resources: %v", c.Inputs)
	}
	if c.Str("spec", "bootstrap", "initdb", "owner") != "zitadel" || c.Str("spec", "bootstrap", "initdb", "secret", "name") != "zitadel-db-owner" {
		t.Errorf("bootstrap: %v", c.At("spec", "bootstrap"))
	}
	plugin := c.At("spec", "plugins").ArrayValue()[0].ObjectValue()
	if plugin["name"].StringValue() != BarmanPlugin || !plugin["isWALArchiver"].BoolValue() ||
		plugin["parameters"].ObjectValue()["barmanObjectName"].StringValue() != "zitadel-db-backups" {
		t.Errorf("plugin %v", plugin)
	}
	// Custom resources only after the operators that define their kinds.
	for _, op := range []string{"cloudnative-pg", "barman-cloud"} {
		if !c.DependsOn(toolT, op) {
			t.Errorf("the Cluster does not come after %s: %v", op, c.Deps)
		}
	}
	s := m.Get(t, storeT, "zitadel-db-backups")
	if s.Str("spec", "configuration", "destinationPath") != "s3://orb-backups/demo" || s.Str("spec", "retentionPolicy") != "8w" ||
		s.Str("spec", "configuration", "endpointURL") != "https://s3.example.com" ||
		s.Str("spec", "configuration", "s3Credentials", "secretAccessKey", "name") != "zitadel-db-backup-credentials" {
		t.Errorf("object store %v", s.Inputs)
	}
	creds := m.Get(t, secretType, "zitadel-db-backup-credentials")
	if !creds.At("stringData").IsSecret() || creds.Str("stringData", "ACCESS_SECRET_KEY") != "value-of-store-key" || creds.Str("stringData", "ACCESS_KEY_ID") != "value-of-store-id" {
		t.Errorf("credentials %v", creds.Inputs)
	}
	b := m.Get(t, scheduledT, "zitadel-db-daily")
	if b.Str("spec", "schedule") != "0 30 2 * * 1-5" || b.Str("spec", "method") != "plugin" || b.Str("spec", "cluster", "name") != "zitadel-db" {
		t.Errorf("scheduled backup %v", b.Inputs)
	}
	if db.Host != "zitadel-db-rw.zitadel.svc" || db.Port != 5432 {
		t.Errorf("endpoint %s:%d", db.Host, db.Port)
	}
}

// GCS takes the service account's key; no backups means neither plugin nor ObjectStore.
func TestPostgresGCSAndWithoutBackups(t *testing.T) {
	m, _ := install(t, "demo", stacks.Database{Engine: stacks.EnginePostgres, Instances: 1, Storage: stacks.Storage{Size: "10Gi"}, Backups: backups("gcs")})
	s := m.Get(t, storeT, "zitadel-db-backups")
	if s.Str("spec", "configuration", "destinationPath") != "gs://orb-backups/demo" || s.Str("spec", "configuration", "googleCredentials", "applicationCredentials", "key") != "credentials.json" {
		t.Errorf("object store %v", s.Inputs)
	}
	m, _ = install(t, "demo", stacks.Database{Engine: stacks.EnginePostgres, Instances: 1, Storage: stacks.Storage{Size: "10Gi"}})
	if m.Has(toolT, "barman-cloud") || m.Has(storeT, "zitadel-db-backups") || m.Has(scheduledT, "zitadel-db-daily") {
		t.Error("backup objects without backups")
	}
	if c := m.Get(t, clusterT, "zitadel-db"); !c.At("spec", "plugins").IsNull() {
		t.Errorf("plugins without backups: %v", c.At("spec", "plugins"))
	}
}

// Every generated password is a Pulumi secret, kept from the first run (IgnoreChanges), and
// differs between two ORBs.
func TestPasswordsAreSecretAndPerORB(t *testing.T) {
	seen := map[string]string{}
	for _, orb := range []string{"one", "two"} {
		m, _ := install(t, orb, stacks.Database{Engine: stacks.EnginePostgres, Instances: 1, Storage: stacks.Storage{Size: "10Gi"}})
		for _, name := range []string{"zitadel-db-owner", "zitadel-db-superuser"} {
			s := m.Get(t, secretType, name)
			if !s.At("stringData").IsSecret() || strings.Join(s.IgnoreChanges, ",") != "stringData,data" {
				t.Errorf("%s of %s: not a secret kept from the first run", name, orb)
			}
			pw := s.Str("stringData", "password")
			if len(pw) != 32 {
				t.Errorf("%s: password of %d characters", name, len(pw))
			}
			if other, ok := seen[pw]; ok {
				t.Errorf("%s of %s equals %s", name, orb, other)
			}
			seen[pw] = orb + "/" + name
		}
	}
}

// CockroachDB: the chart in secure mode with certificates made here (not the self-signer), the
// node certificate for the chart's service names signed by the ORB's CA, every key a Pulumi secret
// that differs between ORBs, and the schedule Job after the release.
func TestCockroachDBSecureWithItsOwnCertificates(t *testing.T) {
	keys := map[string]string{}
	for _, orb := range []string{"one", "two"} {
		b := backups("s3")
		b.EncryptionSecret = "passphrase"
		m, db := install(t, orb, stacks.Database{Engine: stacks.EngineCockroachDB, Instances: 3, Storage: stacks.Storage{Size: "20Gi"}, Backups: b})
		r := m.Get(t, "kubernetes:helm.sh/v3:Release", "zitadel-db")
		if r.Str("version") != "21.0.1" || r.At("values", "tls", "certs", "selfSigner", "enabled").BoolValue() ||
			r.Str("values", "tls", "certs", "nodeSecret") != "zitadel-db-node" || r.At("values", "statefulset", "replicas").NumberValue() != 3 {
			t.Errorf("release %v", r.At("values"))
		}
		node := m.Get(t, secretType, "zitadel-db-node")
		if !node.At("stringData").IsSecret() || strings.Join(node.IgnoreChanges, ",") != "stringData,data" {
			t.Errorf("%s: node certificate not a secret kept from the first run", orb)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(node.Str("stringData", "ca.crt"))) {
			t.Fatal("no CA")
		}
		blk, _ := pem.Decode([]byte(node.Str("stringData", "tls.crt")))
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "zitadel-db-cockroachdb-1.zitadel-db-cockroachdb.zitadel.svc.cluster.local"}); err != nil {
			t.Errorf("node certificate: %v", err)
		}
		for _, s := range []string{"zitadel-db-node", "zitadel-db-root", "zitadel-db-zitadel"} {
			k := m.Get(t, secretType, s).Str("stringData", "tls.key")
			if !strings.Contains(k, "PRIVATE KEY") || keys[k] != "" {
				t.Errorf("%s of %s: key missing or seen in %s", s, orb, keys[k])
			}
			keys[k] = orb + "/" + s
		}
		sql := m.Get(t, secretType, "zitadel-db-backup-schedule")
		if !sql.At("stringData").IsSecret() && !sql.At("stringData", "schedule.sql").IsSecret() {
			t.Errorf("the schedule's SQL (with credentials) is not a secret")
		}
		var job bool
		for _, r := range m.All {
			if r.Type == "kubernetes:batch/v1:Job" && strings.HasPrefix(r.Name, "zitadel-db-backup-schedule-") {
				job = r.DependsOn("kubernetes:helm.sh/v3:Release", "zitadel-db")
			}
		}
		if !job {
			t.Error("no schedule Job after the release")
		}
		if db.Host != "zitadel-db-cockroachdb-public.zitadel.svc" || db.Port != 26257 || db.SSLMode != "verify-full" || db.UserCertSecret != "zitadel-db-zitadel" {
			t.Errorf("endpoint %+v", db)
		}
	}
}

// The schedule's SQL: quoted literals, the URI's credentials URL-encoded, the passphrase where set.
func TestScheduleSQL(t *testing.T) {
	o := stacks.ObjectStore{Type: "s3", Bucket: "b-1", Path: "orb", Endpoint: "https://s3.example.com"}
	uri := BackupURI(o, "AKID", "se/cr+et'x")
	if !strings.HasPrefix(uri, "s3://b-1/orb?") || !strings.Contains(uri, "AWS_SECRET_ACCESS_KEY=se%2Fcr%2Bet%27x") || !strings.Contains(uri, "AWS_ENDPOINT=https%3A%2F%2Fs3.example.com") {
		t.Errorf("uri %s", uri)
	}
	sql := ScheduleSQL("0 3 * * *", "s3://b/p?K=it's", "pass'word")
	for _, want := range []string{
		"DROP SCHEDULES WITH s AS (SHOW SCHEDULES) SELECT id FROM s WHERE label = 'orbos_zitadel';",
		"CREATE SCHEDULE orbos_zitadel FOR BACKUP INTO 's3://b/p?K=it''s' WITH revision_history, encryption_passphrase = 'pass''word' RECURRING '0 3 * * *'",
		"first_run = 'now'",
	} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL lacks %q:\n%s", want, sql)
		}
	}
	if g := BackupURI(stacks.ObjectStore{Type: "gcs", Bucket: "b-1", Path: "orb"}, "", "{}"); !strings.HasPrefix(g, "gs://b-1/orb?") || !strings.Contains(g, "AUTH=specified") {
		t.Errorf("gcs uri %s", g)
	}
}

// CockroachDB's licence key reaches the cluster setting enterprise.license through the SQL Job's
// Secret (a Pulumi secret), also without backups; without either there is no Job.
func TestCockroachDBLicence(t *testing.T) {
	m, _ := install(t, "demo", stacks.Database{Engine: stacks.EngineCockroachDB, Instances: 3, Storage: stacks.Storage{Size: "20Gi"}, LicenseSecret: "crdb-licence"})
	s := m.Get(t, secretType, "zitadel-db-backup-schedule")
	sql := s.Str("stringData", "schedule.sql")
	if !s.At("stringData").IsSecret() && !s.At("stringData", "schedule.sql").IsSecret() {
		t.Error("the licence is not a secret")
	}
	if sql != "SET CLUSTER SETTING enterprise.license = 'value-of-crdb-licence';\n" {
		t.Errorf("SQL %q", sql)
	}
	var jobs int
	for _, r := range m.All {
		if r.Type == "kubernetes:batch/v1:Job" {
			jobs++
		}
	}
	if jobs != 1 {
		t.Errorf("%d SQL Jobs, want 1", jobs)
	}
	m, _ = install(t, "demo", stacks.Database{Engine: stacks.EngineCockroachDB, Instances: 3, Storage: stacks.Storage{Size: "20Gi"}})
	if m.Has(secretType, "zitadel-db-backup-schedule") {
		t.Error("an SQL Job without a licence or backups")
	}
	b := backups("gcs")
	m, _ = install(t, "demo", stacks.Database{Engine: stacks.EngineCockroachDB, Instances: 3, Storage: stacks.Storage{Size: "20Gi"}, LicenseSecret: "crdb-licence", Backups: b})
	sql = m.Get(t, secretType, "zitadel-db-backup-schedule").Str("stringData", "schedule.sql")
	if !strings.HasPrefix(sql, "SET CLUSTER SETTING enterprise.license = 'value-of-crdb-licence';\nDROP SCHEDULES") || !strings.Contains(sql, "CREATE SCHEDULE orbos_zitadel FOR BACKUP INTO 'gs://orb-backups/demo?") {
		t.Errorf("SQL %q", sql)
	}
	if got := LicenseSQL("crl-0-it's"); got != "SET CLUSTER SETTING enterprise.license = 'crl-0-it''s';\n" {
		t.Errorf("quoting: %q", got)
	}
}

// A new value of a secret the SQL is made of changes the Job's pod template by the SQL's digest, so
// the engine replaces the Job (its template cannot change in place) and the SQL runs again; the same
// values keep it. The digest is a Pulumi secret and no secret's value.
func TestCockroachSQLJobFollowsItsSecretsValues(t *testing.T) {
	digest := func(passphrase string) (string, mockengine.Resource) {
		b := backups("s3")
		b.EncryptionSecret = "passphrase"
		m, _ := installWith(t, "demo", stacks.Database{Engine: stacks.EngineCockroachDB, Instances: 3, Storage: stacks.Storage{Size: "20Gi"}, LicenseSecret: "crdb-licence", Backups: b},
			func(name string) (pulumi.StringOutput, error) {
				if name == "passphrase" {
					return pulumi.ToSecret(pulumi.String(passphrase)).(pulumi.StringOutput), nil
				}
				return stackSecret(name)
			})
		for _, r := range m.All {
			if r.Type == "kubernetes:batch/v1:Job" && strings.HasPrefix(r.Name, "zitadel-db-backup-schedule-") {
				return r.Str("spec", "template", "metadata", "annotations", SQLDigestAnnotation), r
			}
		}
		t.Fatal("no SQL Job")
		return "", mockengine.Resource{}
	}
	first, job := digest("first-passphrase")
	again, _ := digest("first-passphrase")
	second, _ := digest("second-passphrase")
	if len(first) != 64 || first != again {
		t.Errorf("the same values: digests %q and %q", first, again)
	}
	if second == first {
		t.Error("a new passphrase leaves the Job's template as it was: the SQL would not run again")
	}
	if !job.At("spec", "template", "metadata", "annotations", SQLDigestAnnotation).IsSecret() &&
		!job.At("spec", "template", "metadata", "annotations").IsSecret() && !job.At("spec").IsSecret() {
		t.Error("the digest is not a Pulumi secret")
	}
	for _, v := range []string{"first-passphrase", "value-of-crdb-licence", "value-of-store-key", "value-of-store-id"} {
		if strings.Contains(fmt.Sprint(job.At("spec").Mappable()), v) {
			t.Errorf("the Job's spec holds %s", v)
		}
	}
}
