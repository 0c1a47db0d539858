package stacks

import (
	"errors"
	"strings"
	"testing"
)

// zitadelFile is a valid ORB with every field of orbos:zitadel set.
const zitadelFile = `encryptionsalt: v1:abc:v1:def:ghi
config:
  orbos:orbiter:
    apiVersion: orbos.io/v1alpha1
    kubernetes:
      version: v1.31.4
  orbos:boom:
    apiVersion: orbos.io/v1alpha1
    tools:
      gateway: {enabled: true}
      certificates: {enabled: true}
  orbos:zitadel:
    apiVersion: orbos.io/v1alpha1
    enabled: true
    externalDomain: id.example.com
    replicas: 3
    resources: {requests: {cpu: 250m, memory: 512Mi}}
    logLevel: warn
    smtp: {host: "smtp.example.com:587", user: zitadel, passwordSecret: smtp-password, from: id@example.com, fromName: Example ID}
    firstInstance: {org: Example, admin: {username: admin, email: admin@example.com}}
    database:
      engine: postgres
      instances: 3
      storage: {size: 20Gi, storageClass: fast}
      resources: {limits: {memory: 2Gi}}
      backups:
        schedule: "0 3 * * *"
        retention: 8w
        objectStore: {type: s3, endpoint: "https://s3.example.com", bucket: orb-backups, path: zitadel/demo, accessKeyIdSecret: s3-id, credentialsSecret: s3-key}
  orbos:secrets:
    smtp-password: {secure: v1:a}
    s3-id: {secure: v1:b}
    s3-key: {secure: v1:c}
    gcs-key: {secure: v1:d}
    passphrase: {secure: v1:e}
  orbos:kubeconfig:
    secure: v1:xyz
`

func TestZitadelSpecIsDecodedWithDefaults(t *testing.T) {
	s, err := Parse("demo", []byte(zitadelFile))
	if err != nil {
		t.Fatal(err)
	}
	z := s.ZitadelOn()
	if z == nil || z.Replicas != 3 || z.Database.Instances != 3 || z.Database.Backups.ObjectStore.Path != "zitadel/demo" {
		t.Fatalf("decoded %+v", z)
	}
	if z.Version != ZitadelVersion || z.Chart != ZitadelChart || z.Namespace != "zitadel" {
		t.Errorf("defaults: version %s chart %v namespace %s", z.Version, z.Chart, z.Namespace)
	}
	// The smallest section gets PostgreSQL with two instances, 10Gi, and backups under the ORB's name.
	small := strings.Replace(zitadelFile, "    replicas: 3\n", "", 1)
	small = strings.Replace(small, "      engine: postgres\n      instances: 3\n", "", 1)
	small = strings.Replace(small, "      storage: {size: 20Gi, storageClass: fast}\n", "", 1)
	small = strings.Replace(small, "        retention: 8w\n", "", 1)
	small = strings.Replace(small, " path: zitadel/demo,", "", 1)
	s, err = Parse("demo", []byte(small))
	if err != nil {
		t.Fatal(err)
	}
	d := s.ZitadelOn().Database
	if s.ZitadelOn().Replicas != 2 || d.Engine != EnginePostgres || d.Instances != 2 || d.Storage.Size != "10Gi" || d.Backups.Retention != "30d" || d.Backups.ObjectStore.Path != "demo" {
		t.Errorf("defaults: replicas %d, %+v", s.ZitadelOn().Replicas, d)
	}
}

// Each case breaks the valid section once and names the paths refused.
func TestZitadelSpecIsCheckedByPath(t *testing.T) {
	const p = "config.orbos:zitadel."
	cases := []struct{ name, old, new, want string }{
		{"no domain", "    externalDomain: id.example.com\n", "", p + "externalDomain"},
		{"version", "    replicas: 3", "    version: latest\n    replicas: 3", p + "version"},
		{"chart version", "    replicas: 3", "    chart: {version: 9.x}\n    replicas: 3", p + "chart.version"},
		{"namespace", "    replicas: 3", "    namespace: Zitadel\n    replicas: 3", p + "namespace"},
		{"replicas", "replicas: 3", "replicas: -1", p + "replicas"},
		{"resources", "cpu: 250m", "cpu: lots", p + "resources.requests.cpu"},
		{"log level", "logLevel: warn", "logLevel: verbose", p + "logLevel"},
		{"smtp host without port", `host: "smtp.example.com:587"`, `host: smtp.example.com`, p + "smtp.host"},
		{"smtp host with a newline", `host: "smtp.example.com:587"`, `host: "smtp.example.com:587\nx"`, p + "smtp.host"},
		{"smtp from", "from: id@example.com", "from: \"a <id@example.com>\"", p + "smtp.from"},
		{"smtp unknown secret", "passwordSecret: smtp-password", "passwordSecret: smtp", p + "smtp.passwordSecret"},
		{"smtp user without password", "passwordSecret: smtp-password, ", "", p + "smtp.passwordSecret"},
		{"admin name", "username: admin", "username: \"ad min\"", p + "firstInstance.admin.username"},
		{"admin email", "email: admin@example.com", "email: admin", p + "firstInstance.admin.email"},
		{"org with a newline", "org: Example", "org: \"Ex\\nample\"", p + "firstInstance.org"},
		{"engine", "engine: postgres", "engine: mysql", p + "database.engine"},
		{"instances", "instances: 3", "instances: -3", p + "database.instances"},
		{"storage", "size: 20Gi", "size: twenty", p + "database.storage.size"},
		{"storage class", "storageClass: fast", "storageClass: Fast_Disk", p + "database.storage.storageClass"},
		{"schedule", `schedule: "0 3 * * *"`, `schedule: "@daily"`, p + "database.backups.schedule"},
		{"schedule with a command", `schedule: "0 3 * * *"`, `schedule: "0 3 * * *' ; DROP"`, p + "database.backups.schedule"},
		{"retention", "retention: 8w", "retention: forever", p + "database.backups.retention"},
		{"object store type", "type: s3", "type: pvc", p + "database.backups.objectStore.type"},
		{"endpoint", `endpoint: "https://s3.example.com"`, `endpoint: "http://s3.example.com"`, p + "database.backups.objectStore.endpoint"},
		{"bucket", "bucket: orb-backups", "bucket: Orb_Backups!", p + "database.backups.objectStore.bucket"},
		{"path", "path: zitadel/demo", "path: ../other", p + "database.backups.objectStore.path"},
		{"credentials", "credentialsSecret: s3-key", "credentialsSecret: nope", p + "database.backups.objectStore.credentialsSecret"},
		{"s3 without key id", "accessKeyIdSecret: s3-id, ", "", p + "database.backups.objectStore.accessKeyIdSecret"},
		{"licence on postgres", "      instances: 3\n", "      instances: 3\n      licenseSecret: passphrase\n", p + "database.licenseSecret"},
		{"passphrase on postgres", "        retention: 8w\n", "        retention: 8w\n        encryptionSecret: passphrase\n", p + "database.backups.encryptionSecret"},
		{"no gateway", "      gateway: {enabled: true}\n", "", p + "enabled"},
		{"backups without cert-manager", "      certificates: {enabled: true}\n", "", p + "database.backups"},
		{"restore generation", "credentialsSecret: s3-key}\n", "credentialsSecret: s3-key}\n      restore: {generation: 0, backup: latest}\n", p + "database.restore.generation"},
		{"restore backup name", "credentialsSecret: s3-key}\n", "credentialsSecret: s3-key}\n      restore: {generation: 1, backup: \"x; rm\"}\n", p + "database.restore.backup"},
		{"restore time", "credentialsSecret: s3-key}\n", "credentialsSecret: s3-key}\n      restore: {generation: 1, backup: latest, toTime: yesterday}\n", p + "database.restore.toTime"},
		{"plaintext masterkey", "  orbos:kubeconfig:", "  orbos:zitadelMasterkey: abc\n  orbos:kubeconfig:", "config.orbos:zitadelMasterkey"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(zitadelFile, c.old) {
				t.Fatalf("case does not apply: %q", c.old)
			}
			_, err := Parse("demo", []byte(strings.Replace(zitadelFile, c.old, c.new, 1)))
			assertPaths(t, err, []string{c.want})
		})
	}
}

// CockroachDB is for the Zitadel v2 line only; with v3 or later it is refused with the reason.
func TestCockroachDBOnlyWithZitadelV2(t *testing.T) {
	crdb := strings.Replace(zitadelFile, "engine: postgres", "engine: cockroachdb", 1)
	crdb = strings.Replace(crdb, "        retention: 8w\n", "        retention: 8w\n        encryptionSecret: passphrase\n", 1)
	_, err := Parse("demo", []byte(crdb))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Path != "config.orbos:zitadel.database.engine" {
		t.Fatalf("want one refusal of the engine, got %v", err)
	}
	for _, reason := range []string{"v4.13.0", "PostgreSQL only", "out of support since 2025-09-30"} {
		if !strings.Contains(ve.Errors[0].Message, reason) {
			t.Errorf("the refusal does not say %q: %s", reason, ve.Errors[0].Message)
		}
	}
	v2 := strings.Replace(crdb, "    replicas: 3", "    version: v2.71.0\n    chart: {version: 8.13.4}\n    replicas: 3", 1)
	s, err := Parse("demo", []byte(v2))
	if err != nil {
		t.Fatalf("cockroachdb with Zitadel v2: %v", err)
	}
	s, err = Parse("demo", []byte(strings.Replace(v2, "      instances: 3\n", "      instances: 3\n      licenseSecret: passphrase\n", 1)))
	if err != nil || s.ZitadelOn().Database.LicenseSecret != "passphrase" {
		t.Fatalf("cockroachdb with a licence: %v", err)
	}
	_, err = Parse("demo", []byte(strings.Replace(v2, "      instances: 3\n", "      instances: 3\n      licenseSecret: nope\n", 1)))
	assertPaths(t, err, []string{"config.orbos:zitadel.database.licenseSecret"})
	if d := s.ZitadelOn().Database; d.Engine != EngineCockroachDB || d.Backups.EncryptionSecret != "passphrase" {
		t.Errorf("decoded %+v", d)
	}
	// Without a chart the v2 line's last chart is the default: chart 9 renders ZITADEL_DATABASE_
	// POSTGRES_* TLS variables and the v4 login UI, which Zitadel v2 on CockroachDB cannot use.
	s, err = Parse("demo", []byte(strings.Replace(v2, "    chart: {version: 8.13.4}\n", "", 1)))
	if err != nil {
		t.Fatalf("cockroachdb with Zitadel v2 and the default chart: %v", err)
	}
	if c := s.ZitadelOn().Chart; c != ZitadelV2Chart || c.Version != "8.13.4" {
		t.Errorf("default chart with cockroachdb: %v", c)
	}
	_, err = Parse("demo", []byte(strings.Replace(v2, "chart: {version: 8.13.4}", "chart: {version: 9.34.0}", 1)))
	if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Path != "config.orbos:zitadel.chart.version" ||
		!strings.Contains(ve.Errors[0].Message, "PostgreSQL only") || !strings.Contains(ve.Errors[0].Message, "8.13.4") {
		t.Fatalf("cockroachdb with chart 9.34.0: %v", err)
	}
}

// GCS takes a JSON key and nothing of S3's.
func TestGCSObjectStore(t *testing.T) {
	gcs := strings.Replace(zitadelFile, `type: s3, endpoint: "https://s3.example.com", bucket: orb-backups, path: zitadel/demo, accessKeyIdSecret: s3-id, credentialsSecret: s3-key`,
		`type: gcs, bucket: orb-backups, credentialsSecret: gcs-key`, 1)
	if _, err := Parse("demo", []byte(gcs)); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(gcs, "type: gcs,", `type: gcs, endpoint: "https://s3.example.com", accessKeyIdSecret: s3-id,`, 1)
	_, err := Parse("demo", []byte(bad))
	assertPaths(t, err, []string{"config.orbos:zitadel.database.backups.objectStore.endpoint", "config.orbos:zitadel.database.backups.objectStore.accessKeyIdSecret"})
}

// A restore names the live cluster by its generation, and needs the backups it comes from.
func TestRestoreNamesTheLiveCluster(t *testing.T) {
	restored := strings.Replace(zitadelFile, "credentialsSecret: s3-key}\n", "credentialsSecret: s3-key}\n      restore: {generation: 2, backup: zitadel-db-20261201, toTime: \"2026-12-01T10:00:00Z\"}\n", 1)
	s, err := Parse("demo", []byte(restored))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.ZitadelOn().Database.ClusterName("zitadel-db"); got != "zitadel-db-r2" {
		t.Errorf("restored cluster %q, want zitadel-db-r2", got)
	}
	s, _ = Parse("demo", []byte(zitadelFile))
	if got := s.ZitadelOn().Database.ClusterName("zitadel-db"); got != "zitadel-db" {
		t.Errorf("cluster %q, want zitadel-db", got)
	}
	i := strings.Index(restored, "      backups:\n")
	j := strings.Index(restored, "      restore:")
	noBackups := restored[:i] + restored[j:]
	_, err = Parse("demo", []byte(noBackups))
	assertPaths(t, err, []string{"config.orbos:zitadel.database.restore"})
}
