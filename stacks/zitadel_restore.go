package stacks

import (
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
