package stacks

import (
	"fmt"
	"regexp"

	"github.com/orbos/orbos/internal/valid"
)

// barmanBackupID is Barman's backup ID: the backup's start time, e.g. 20261201T030000.
var barmanBackupID = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}$`)

// validateBackupID holds a restore of a named backup to the ID the object store knows it by:
// CloudNativePG's recovery targets a Barman backup ID, not the Backup object's name. latest and
// a point in time need none (the operator picks the backup).
func validateBackupID(rp string, d Database, e *errs) {
	r := d.Restore
	switch {
	case r.BackupID != "" && !barmanBackupID.MatchString(r.BackupID):
		e.add(rp+".backupID", nil, "%s is not a Barman backup ID like 20261201T030000", quoteShort(r.BackupID))
	case r.BackupID != "" && (d.Engine != EnginePostgres || r.Backup == "latest"):
		e.add(rp+".backupID", nil, "only a postgres restore of a named backup has a backup ID; remove it")
	case r.BackupID == "" && d.Engine == EnginePostgres && r.Backup != "latest" && r.ToTime == "" && len(valid.Name(r.Backup)) == 0:
		e.add(rp+".backupID", nil, "a restore of the backup %s needs its Barman backup ID (orbctl zitadel restore fills it in from the Backup's status.backupId)", r.Backup)
	}
}

// cockroachBackup is a backup's subdirectory in a CockroachDB collection, as SHOW BACKUPS IN lists
// it (without its leading slash): the full backup's end time, e.g. 2026/12/01-030000.00.
var cockroachBackup = regexp.MustCompile(`^[0-9]{4}/[0-9]{2}/[0-9]{2}-[0-9]{6}\.[0-9]{2}$`)

// CockroachBackup says whether s names a backup in a CockroachDB collection (its subdirectory).
func CockroachBackup(s string) bool { return cockroachBackup.MatchString(s) }

// validateCockroachBackup holds a CockroachDB restore to a subdirectory of the collection: the
// program quotes it as an SQL string in RESTORE ... FROM, and anything else names no backup.
func validateCockroachBackup(path, backup string, e *errs) {
	if !CockroachBackup(backup) {
		e.add(path, nil, "%s is no CockroachDB backup: name its subdirectory as orbctl zitadel backups lists it, like 2026/12/01-030000.00, or latest", quoteShort(backup))
	}
}

// DatabaseName is the SQL database Zitadel works in: base (zitadel) until the first restore, and
// on CockroachDB base_rN after the Nth, which the restore makes beside the old one in the same
// cluster (PostgreSQL restores make a new cluster and keep the name).
func (d Database) DatabaseName(base string) string {
	if d.Restore == nil || d.Engine != EngineCockroachDB {
		return base
	}
	return fmt.Sprintf("%s_r%d", base, d.Restore.Generation)
}
