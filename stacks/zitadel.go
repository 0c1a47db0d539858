package stacks

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/orbos/orbos/internal/cronperiod"
	"github.com/orbos/orbos/internal/valid"
)

// KeyZitadelMasterkey is Zitadel's masterkey: 32 characters from crypto/rand that orbctl generates
// once, encrypted in the desired state like the SSH key. Zitadel encrypts its secrets with it, so
// it must outlive the cluster (a clone of the repository restores Zitadel with its backup) and must
// never change (the policy pack refuses a change).
const KeyZitadelMasterkey = "orbos:zitadelMasterkey"

// Database engines of Zitadel.
const (
	EnginePostgres    = "postgres"
	EngineCockroachDB = "cockroachdb"
)

// Pinned defaults of Zitadel and its database (PLATFORM.md, mid-2026).
var (
	ZitadelChart = Chart{"https://charts.zitadel.com", "zitadel", "9.34.0"}
	// ZitadelV2Chart is the last chart of the Zitadel v2 line, the default with CockroachDB: from
	// 9.0.0 on the chart speaks PostgreSQL only (its database TLS variables are ZITADEL_DATABASE_
	// POSTGRES_*, and it deploys the v4 login UI); 8.x names them after the configured database.
	ZitadelV2Chart = Chart{"https://charts.zitadel.com", "zitadel", "8.13.4"}
	// ZitadelVersion is the application the chart runs; v3 and later need PostgreSQL.
	ZitadelVersion = "v4.13.0"
	// CloudNativePGChart installs the PostgreSQL operator (operator 1.30.0).
	CloudNativePGChart = Chart{"https://cloudnative-pg.github.io/charts", "cloudnative-pg", "0.29.0"}
	// BarmanCloudChart installs the Barman Cloud plugin of CloudNativePG (backups to object storage):
	// chart 0.7.0 runs plugin v0.13.0, the newest beside operator 1.30.0 (0.5.0 ran v0.11.0).
	BarmanCloudChart = Chart{"https://cloudnative-pg.github.io/charts", "plugin-barman-cloud", "0.7.0"}
	// CockroachDBChart is CockroachDB in secure mode, for ORBs on the Zitadel v2 line.
	CockroachDBChart = Chart{"https://charts.cockroachdb.com", "cockroachdb", "21.0.1"}
)

// Zitadel is the identity-management section, orbos:zitadel: Zitadel and its database.
type Zitadel struct {
	APIVersion string `yaml:"apiVersion" orbos:"required"`
	Enabled    bool   `yaml:"enabled" doc:"install Zitadel and its database"`
	// Version is Zitadel's application version; the chart must be one that runs it.
	Version        string         `yaml:"version" doc:"Zitadel's version, vMAJOR.MINOR.PATCH; default v4.13.0 (v3 and later run on PostgreSQL only)"`
	Chart          Chart          `yaml:"chart" doc:"the zitadel Helm chart; default https://charts.zitadel.com zitadel 9.34.0 (8.13.4, the v2 line's last, with cockroachdb)"`
	Namespace      string         `yaml:"namespace" doc:"namespace of Zitadel and its database; default zitadel"`
	Replicas       int            `yaml:"replicas" doc:"Zitadel's replicas; default 2 (a PodDisruptionBudget keeps one up)"`
	Resources      *Resources     `yaml:"resources" doc:"requests and limits of Zitadel's container"`
	ExternalDomain string         `yaml:"externalDomain" doc:"the public domain of Zitadel, e.g. id.example.com; TLS ends at the ORB's gateway"`
	LogLevel       string         `yaml:"logLevel" doc:"debug, info (default), warn or error"`
	SMTP           *ZitadelSMTP   `yaml:"smtp" doc:"the mail server Zitadel sends its mails through"`
	FirstInstance  *FirstInstance `yaml:"firstInstance" doc:"the organisation and administrator Zitadel creates at its first start"`
	Database       Database       `yaml:"database" doc:"Zitadel's database and its backups"`
}

// ZitadelSMTP is Zitadel's mail server.
type ZitadelSMTP struct {
	Host           string `yaml:"host" orbos:"required" doc:"host:port of the SMTP server, e.g. smtp.example.com:587"`
	User           string `yaml:"user" doc:"SMTP user name"`
	PasswordSecret string `yaml:"passwordSecret" doc:"name of the stack secret (orbos:secrets.NAME) holding the SMTP password"`
	From           string `yaml:"from" orbos:"required" doc:"sender address, e.g. id@example.com"`
	FromName       string `yaml:"fromName" doc:"sender name"`
}

// FirstInstance is what Zitadel creates at its first start.
type FirstInstance struct {
	Org   string       `yaml:"org" orbos:"required" doc:"name of the first organisation"`
	Admin ZitadelAdmin `yaml:"admin" orbos:"required"`
}

// ZitadelAdmin is the first administrator; the program generates the password (crypto/rand) into a
// Secret, from which the operator reads it once.
type ZitadelAdmin struct {
	Username string `yaml:"username" orbos:"required" doc:"user name of the first administrator"`
	Email    string `yaml:"email" doc:"e-mail address of the first administrator"`
}

// Database is Zitadel's database.
type Database struct {
	Engine string `yaml:"engine" doc:"postgres (default, CloudNativePG) or cockroachdb (Zitadel v2 only)"`

	// LicenseSecret is CockroachDB's licence key: since 24.3 every cluster runs under the
	// CockroachDB Software License, and a cluster of more than one node without a key is throttled
	// after 7 days.
	LicenseSecret string `yaml:"licenseSecret" doc:"cockroachdb: stack secret holding the CockroachDB licence key, set as the cluster setting enterprise.license"`

	Instances int        `yaml:"instances" doc:"database instances; default 2 for postgres (a primary and a replica), 3 for cockroachdb"`
	Storage   Storage    `yaml:"storage" doc:"each instance's volume"`
	Resources *Resources `yaml:"resources" doc:"requests and limits of each database instance"`
	Backups   *DBBackups `yaml:"backups" doc:"scheduled backups to object storage"`
	Restore   *Restore   `yaml:"restore" doc:"the backup the live database was restored from; orbctl zitadel restore writes it"`
	// Charts overrides the pinned charts of the engine (stacks/zitadel_charts.go).
	Charts *DatabaseCharts `yaml:"charts" doc:"the database's charts, each defaulting to orbos's pin: a chart path in the ORB repository or another repository"`
}

// Restore records the restore the live database comes from. orbctl zitadel restore writes it (one
// commit), after scaling Zitadel to zero: each restore makes a new database cluster, named with its
// generation and bootstrapped from the backup, and points Zitadel at it. The cluster before stays,
// retained, until removed by hand, so a restore never destroys the data it replaces.
type Restore struct {
	Generation int    `yaml:"generation" orbos:"required" doc:"counts the restores: the live database cluster is <name>-r<generation>"`
	Backup     string `yaml:"backup" orbos:"required" doc:"name of the backup restored from (cockroachdb: its subdirectory in the collection, e.g. 2026/12/01-030000.00), or latest"`
	ToTime     string `yaml:"toTime" doc:"RFC 3339 time of a point-in-time restore, e.g. 2026-12-01T10:00:00Z; empty for the end of the backup (postgres) or of the backup's revision history (cockroachdb)"`
	// BackupID is the backup's ID in the object store (Barman's, from the Backup's status): the
	// recovery target of a named backup. orbctl zitadel restore reads it from the cluster.
	BackupID string `yaml:"backupID" doc:"postgres: the Barman backup ID of the named backup (orbctl zitadel restore fills it in), e.g. 20261201T030000"`
}

// ClusterName is the name of the live database cluster: base (e.g. zitadel-db) until the first
// restore, base-rN after the Nth on postgres. CockroachDB restores into a new database of the same
// cluster (DatabaseName), which keeps its name.
func (d Database) ClusterName(base string) string {
	if d.Restore == nil || d.Engine == EngineCockroachDB {
		return base
	}
	return fmt.Sprintf("%s-r%d", base, d.Restore.Generation)
}

// Storage is a volume claim's size and class.
type Storage struct {
	Size         string `yaml:"size" doc:"size of each instance's volume; default 10Gi"`
	StorageClass string `yaml:"storageClass" doc:"storage class; default the cluster's"`
}

// DBBackups are scheduled database backups that leave the cluster.
type DBBackups struct {
	Schedule         string      `yaml:"schedule" orbos:"required" doc:"cron schedule of five fields, e.g. 0 3 * * *"`
	Retention        string      `yaml:"retention" doc:"how long backups are kept: a number of days, weeks or months, e.g. 30d (default), 8w, 6m"`
	ObjectStore      ObjectStore `yaml:"objectStore" orbos:"required"`
	EncryptionSecret string      `yaml:"encryptionSecret" doc:"stack secret with a passphrase that encrypts the backups (cockroachdb; PostgreSQL backups use the object store's server-side encryption)"`
}

// ObjectStore is the bucket backups go to.
type ObjectStore struct {
	Type     string `yaml:"type" orbos:"required" doc:"s3 or gcs"`
	Endpoint string `yaml:"endpoint" doc:"https:// endpoint of an S3-compatible store; empty for AWS S3 and GCS"`
	Bucket   string `yaml:"bucket" orbos:"required" doc:"bucket name"`
	Path     string `yaml:"path" doc:"path inside the bucket; default the ORB's name"`
	// AccessKeyIDSecret is a secret too: the policy pack counts access key IDs as secret-looking.
	AccessKeyIDSecret string `yaml:"accessKeyIdSecret" doc:"s3: stack secret holding the access key ID"`
	CredentialsSecret string `yaml:"credentialsSecret" orbos:"required" doc:"stack secret holding the credentials: s3, the secret access key; gcs, the service account's JSON key"`
}

var (
	appVersion = regexp.MustCompile(`^v([0-9]+)\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.-]+)?$`)
	retention  = regexp.MustCompile(`^[1-9][0-9]{0,3}[dwm]$`)
	// S3 and GCS bucket names: lower-case letters, digits, dots, dashes and underscores (GCS).
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$`)
	// A path inside a bucket: plain components.
	bucketPath = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)
	// host:port of a mail server.
	smtpHost = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?:[0-9]{1,5}$`)
	// A plain e-mail address: no quotes, spaces or angle brackets.
	email = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$`)
	// Zitadel's user names: letters, digits and a few marks, without spaces.
	zitadelUser = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,200}$`)
)

// Major returns the major version of Zitadel the spec runs, -1 when the version does not parse.
func (z *Zitadel) Major() int {
	m := appVersion.FindStringSubmatch(z.Version)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func (z *Zitadel) applyDefaults(orb string) {
	if z.Version == "" {
		z.Version = ZitadelVersion
	}
	if z.Chart.Repository == "" {
		z.Chart.Repository = ZitadelChart.Repository
	}
	if z.Chart.Name == "" {
		z.Chart.Name = ZitadelChart.Name
	}
	if z.Chart.Version == "" {
		z.Chart.Version = ZitadelChart.Version
		if z.Database.Engine == EngineCockroachDB {
			z.Chart.Version = ZitadelV2Chart.Version
		}
	}
	if z.Namespace == "" {
		z.Namespace = "zitadel"
	}
	if z.Replicas == 0 {
		z.Replicas = 2
	}
	if z.LogLevel == "" {
		z.LogLevel = "info"
	}
	d := &z.Database
	if d.Engine == "" {
		d.Engine = EnginePostgres
	}
	if d.Instances == 0 {
		d.Instances = 2
		if d.Engine == EngineCockroachDB {
			d.Instances = 3
		}
	}
	if d.Storage.Size == "" {
		d.Storage.Size = "10Gi"
	}
	if b := d.Backups; b != nil {
		if b.Retention == "" {
			b.Retention = "30d"
		}
		if b.ObjectStore.Path == "" {
			b.ObjectStore.Path = orb
		}
	}
}

func (c *Config) validateZitadel(e *errs) {
	z := c.Zitadel
	if z == nil {
		return
	}
	p := "config." + KeyZitadel
	checkSection(p, z.APIVersion, e)
	if z.Enabled && z.ExternalDomain == "" {
		e.add(p+".externalDomain", nil, "an enabled Zitadel needs its public domain, like id.example.com")
	} else if z.ExternalDomain != "" {
		checkDomain(p+".externalDomain", z.ExternalDomain, e)
	}
	if z.Major() < 0 {
		e.add(p+".version", nil, "%s is not a version like v4.13.0", quoteShort(z.Version))
	}
	validateChart(p+".chart", z.Chart, e)
	e.check(p+".namespace", z.Namespace, valid.Name(z.Namespace))
	if z.Replicas < 1 {
		e.add(p+".replicas", nil, "must be 1 or more")
	}
	if r := z.Resources; r != nil {
		validateQuantities(p+".resources.requests", r.Requests, e)
		validateQuantities(p+".resources.limits", r.Limits, e)
	}
	switch z.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		e.add(p+".logLevel", nil, "must be debug, info, warn or error, not %s", quoteShort(z.LogLevel))
	}
	if s := z.SMTP; s != nil {
		if !smtpHost.MatchString(s.Host) {
			e.add(p+".smtp.host", nil, "%s is not host:port, like smtp.example.com:587", quoteShort(s.Host))
		}
		e.check(p+".smtp.user", s.User, valid.Printable(s.User, true))
		if s.From != "" && !email.MatchString(s.From) {
			e.add(p+".smtp.from", nil, "%s is not an e-mail address", quoteShort(s.From))
		}
		e.check(p+".smtp.fromName", s.FromName, valid.Printable(s.FromName, false))
		if s.User != "" && s.PasswordSecret == "" {
			e.add(p+".smtp.passwordSecret", nil, "required with a user: the stack secret holding the SMTP password")
		}
		c.checkSecretRef(p+".smtp.passwordSecret", s.PasswordSecret, e)
	}
	if f := z.FirstInstance; f != nil {
		e.check(p+".firstInstance.org", f.Org, valid.Printable(f.Org, false))
		if len(f.Org) > 200 {
			e.add(p+".firstInstance.org", nil, "at most 200 characters")
		}
		if f.Admin.Username != "" && !zitadelUser.MatchString(f.Admin.Username) {
			e.add(p+".firstInstance.admin.username", nil, "%s is not a user name (letters, digits, '.', '_', '@', '-')", quoteShort(f.Admin.Username))
		}
		if f.Admin.Email != "" && !email.MatchString(f.Admin.Email) {
			e.add(p+".firstInstance.admin.email", nil, "%s is not an e-mail address", quoteShort(f.Admin.Email))
		}
	}
	c.validateDatabase(p+".database", z, e)
	if z.Enabled {
		// TLS ends at the ORB's Gateway, which BOOM's gateway makes; the Barman Cloud plugin's
		// webhooks take their certificates from cert-manager.
		if !c.toolOn("gateway") {
			e.add(p+".enabled", nil, "Zitadel is reached through the ORB's gateway: enable %s.tools.gateway", KeyBoom)
		}
		if z.Database.Backups != nil && z.Database.Engine == EnginePostgres && !c.toolOn("certificates") {
			e.add(p+".database.backups", nil, "PostgreSQL's backups go through the Barman Cloud plugin, which needs cert-manager: enable %s.tools.certificates", KeyBoom)
		}
	}
	if c.ZitadelMasterkey.Plaintext {
		e.add("config."+KeyZitadelMasterkey, nil, "is in plaintext: Zitadel's masterkey must be encrypted; remove it only if Zitadel never ran, and orbctl generates one")
	}
}

func (c *Config) validateDatabase(p string, z *Zitadel, e *errs) {
	d := z.Database
	switch d.Engine {
	case EnginePostgres:
		if d.LicenseSecret != "" {
			e.add(p+".licenseSecret", nil, "only for cockroachdb: PostgreSQL takes no licence key")
		}
	case EngineCockroachDB:
		c.checkSecretRef(p+".licenseSecret", d.LicenseSecret, e)
		if m := z.Major(); m >= 3 {
			e.add(p+".engine", nil, "Zitadel %s cannot run on cockroachdb: Zitadel v3 and later support PostgreSQL only, and Zitadel v2, the last with CockroachDB, is out of support since 2025-09-30; use postgres", z.Version)
		} else if m >= 0 && z.Chart.Name == ZitadelChart.Name && !z.Chart.Local() && chartMajor(z.Chart.Version) >= 9 {
			e.add(strings.TrimSuffix(p, ".database")+".chart.version", nil, "zitadel chart %s cannot run Zitadel on cockroachdb: from 9.0.0 on the chart speaks PostgreSQL only; the v2 line's last chart is %s", z.Chart.Version, ZitadelV2Chart.Version)
		}
	default:
		e.add(p+".engine", nil, "must be postgres or cockroachdb, not %s", quoteShort(d.Engine))
	}
	if d.Instances < 1 {
		e.add(p+".instances", nil, "must be 1 or more")
	}
	validateDatabaseCharts(p, d, e)
	if !quantity.MatchString(d.Storage.Size) {
		e.add(p+".storage.size", nil, "%s is not a quantity like 10Gi", quoteShort(d.Storage.Size))
	}
	if d.Storage.StorageClass != "" {
		e.check(p+".storage.storageClass", d.Storage.StorageClass, valid.Subdomain(d.Storage.StorageClass))
	}
	if r := d.Resources; r != nil {
		validateQuantities(p+".resources.requests", r.Requests, e)
		validateQuantities(p+".resources.limits", r.Limits, e)
	}
	if r := d.Restore; r != nil {
		rp := p + ".restore"
		if r.Generation < 1 {
			e.add(rp+".generation", nil, "must be 1 or more")
		}
		switch {
		case r.Backup == "latest":
		case d.Engine == EngineCockroachDB:
			validateCockroachBackup(rp+".backup", r.Backup, e)
		default:
			e.check(rp+".backup", r.Backup, valid.Name(r.Backup))
		}
		if r.ToTime != "" {
			if _, err := time.Parse(time.RFC3339, r.ToTime); err != nil {
				e.add(rp+".toTime", nil, "%s is not an RFC 3339 time like 2026-12-01T10:00:00Z", quoteShort(r.ToTime))
			}
		}
		if d.Backups == nil {
			e.add(rp, nil, "a restore needs the backups it restores from: set %s.backups", p)
		}
		validateBackupID(rp, d, e)
	}
	b := d.Backups
	if b == nil {
		return
	}
	bp := p + ".backups"
	if !cronSchedule.MatchString(b.Schedule) {
		e.add(bp+".schedule", nil, "%s is not a cron schedule of five fields, like 0 3 * * *", quoteShort(b.Schedule))
	} else if _, err := cronperiod.Period(b.Schedule); err != nil {
		// The missing-backup alert's limit is two of the schedule's periods: it needs one.
		e.add(bp+".schedule", nil, "%v", err)
	}
	if !retention.MatchString(b.Retention) {
		e.add(bp+".retention", nil, "%s is not a number of days, weeks or months, like 30d, 8w or 6m", quoteShort(b.Retention))
	}
	if b.EncryptionSecret != "" && d.Engine == EnginePostgres {
		e.add(bp+".encryptionSecret", nil, "PostgreSQL's backups (Barman Cloud) take no passphrase: they are encrypted by the object store (server-side AES256 on S3, always on GCS); remove it")
	}
	c.checkSecretRef(bp+".encryptionSecret", b.EncryptionSecret, e)
	o := b.ObjectStore
	op := bp + ".objectStore"
	switch o.Type {
	case "s3":
		if o.AccessKeyIDSecret == "" {
			e.add(op+".accessKeyIdSecret", nil, "required for s3: the stack secret holding the access key ID")
		}
	case "gcs":
		if o.AccessKeyIDSecret != "" {
			e.add(op+".accessKeyIdSecret", nil, "only for s3: gcs takes the service account's JSON key in credentialsSecret")
		}
		if o.Endpoint != "" {
			e.add(op+".endpoint", nil, "only for s3-compatible stores")
		}
	default:
		e.add(op+".type", nil, "must be s3 or gcs, not %s", quoteShort(o.Type))
	}
	if o.Endpoint != "" {
		if u, err := url.Parse(o.Endpoint); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || len(valid.Printable(o.Endpoint, true)) > 0 {
			e.add(op+".endpoint", nil, "%s is not an https:// endpoint without credentials, query or fragment", quoteShort(o.Endpoint))
		}
	}
	if !bucketName.MatchString(o.Bucket) {
		e.add(op+".bucket", nil, "%s is not a bucket name (lower-case letters, digits, '.', '_' and '-', 3 to 63)", quoteShort(o.Bucket))
	}
	if !bucketPath.MatchString(o.Path) || hasDotDot(o.Path) {
		e.add(op+".path", nil, "%s is not a path inside the bucket (letters, digits, '.', '_', '-' and '/', without '..')", quoteShort(o.Path))
	}
	c.checkSecretRef(op+".accessKeyIdSecret", o.AccessKeyIDSecret, e)
	c.checkSecretRef(op+".credentialsSecret", o.CredentialsSecret, e)
}

// chartMajor is the major number of a chart version, -1 when it does not parse.
func chartMajor(v string) int {
	n, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(v, "v"), ".", 2)[0])
	if err != nil {
		return -1
	}
	return n
}

// toolOn says whether BOOM's tool name is enabled.
func (c *Config) toolOn(name string) bool {
	if c.Boom == nil {
		return false
	}
	t, ok := c.Boom.Tools[name]
	return ok && t.Enabled
}

// validateChart checks a chart's fields that are set.
func validateChart(p string, c Chart, e *errs) {
	if c.Repository != "" {
		if reason := remoteRepository(c.Repository); reason != "" && !c.Local() {
			e.add(p+".repository", nil, "%s %s", quoteShort(c.Repository), reason)
		} else if c.Local() && (!repoPath.MatchString(strings.TrimPrefix(c.Repository, "./")) || hasDotDot(c.Repository)) {
			e.add(p+".repository", nil, "%s is not a chart path inside the ORB repository (relative, without '..'), an https:// repository or an oci:// registry path", quoteShort(c.Repository))
		}
	}
	if c.Name != "" && !chartName.MatchString(c.Name) {
		e.add(p+".name", nil, "%s is not a chart name (lower-case letters, digits and dashes)", quoteShort(c.Name))
	}
	if c.Version != "" && !chartVer.MatchString(c.Version) {
		e.add(p+".version", nil, "%s is not a pinned chart version like 1.2.3", quoteShort(c.Version))
	}
}

// ZitadelOn returns the Zitadel section with its defaults when Zitadel is enabled, else nil.
func (s *Spec) ZitadelOn() *Zitadel {
	if z := s.File.Config.Zitadel; z != nil && z.Enabled {
		return z
	}
	return nil
}
