package record

import "time"

// ZitadelStatus is Zitadel and its database as read from the cluster after a run. It names
// objects, times and counts: never a credential (the backup destination is the bucket and path,
// without the keys that reach it).
type ZitadelStatus struct {
	Version     string `yaml:"version" json:"version"`
	ExternalURL string `yaml:"externalURL" json:"externalURL"`
	Namespace   string `yaml:"namespace" json:"namespace"`
	// Replicas of Zitadel's Deployment: wanted (the spec) and ready (the cluster).
	Replicas Replicas `yaml:"replicas" json:"replicas"`
	// Status sums Zitadel up: ready, progressing or unknown (the cluster could not be read).
	Status   string         `yaml:"status" json:"status"`
	Detail   string         `yaml:"detail,omitempty" json:"detail,omitempty"`
	Database DatabaseStatus `yaml:"database" json:"database"`
	Backups  *BackupsStatus `yaml:"backups,omitempty" json:"backups,omitempty"`
	// RestoredFrom is the restore the live database comes from (the desired state's
	// database.restore); absent until the first restore.
	RestoredFrom *RestoredFrom `yaml:"restoredFrom,omitempty" json:"restoredFrom,omitempty"`
}

// Replicas are the replicas a workload should have and those that are ready.
type Replicas struct {
	Wanted int `yaml:"wanted" json:"wanted"`
	Ready  int `yaml:"ready" json:"ready"`
}

// DatabaseStatus is Zitadel's database: the live cluster and its readiness.
type DatabaseStatus struct {
	Engine string `yaml:"engine" json:"engine"`
	// Cluster is the live database cluster (zitadel-db, zitadel-db-rN after the Nth restore).
	Cluster   string   `yaml:"cluster" json:"cluster"`
	Instances Replicas `yaml:"instances" json:"instances"`
	// Status is ready, progressing or unknown.
	Status string `yaml:"status" json:"status"`
	Detail string `yaml:"detail,omitempty" json:"detail,omitempty"`
}

// BackupsStatus is the scheduled backups and the last ones the cluster recorded.
type BackupsStatus struct {
	Schedule string `yaml:"schedule" json:"schedule"`
	// Period is the longest gap between two scheduled runs: no successful backup within two of
	// them raises OrbosZitadelBackupMissing.
	Period string `yaml:"period,omitempty" json:"period,omitempty"`
	// Destination is where backups go: s3://bucket/path or gs://bucket/path.
	Destination string `yaml:"destination" json:"destination"`
	// Checked is when the backups were read; the ages below are as of then.
	Checked        time.Time     `yaml:"checked" json:"checked"`
	LastSuccessful *BackupRecord `yaml:"lastSuccessful,omitempty" json:"lastSuccessful,omitempty"`
	// LastFailed is the newest failed backup when it is newer than the last successful one.
	LastFailed *BackupRecord `yaml:"lastFailed,omitempty" json:"lastFailed,omitempty"`
	// Unknown says why the backups could not be read (the cluster was unreachable, or the engine
	// keeps its backups where orbctl does not read them).
	Unknown string `yaml:"unknown,omitempty" json:"unknown,omitempty"`
}

// BackupRecord is one backup as the cluster recorded it.
type BackupRecord struct {
	Name     string    `yaml:"name" json:"name"`
	Finished time.Time `yaml:"finished" json:"finished"`
	// Age is how old it was when Checked.
	Age   string `yaml:"age" json:"age"`
	Error string `yaml:"error,omitempty" json:"error,omitempty"`
}

// RestoredFrom is the backup the live database was restored from.
type RestoredFrom struct {
	Generation int    `yaml:"generation" json:"generation"`
	Backup     string `yaml:"backup" json:"backup"`
	ToTime     string `yaml:"toTime,omitempty" json:"toTime,omitempty"`
}
