package automation

import (
	"context"
	"time"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/zitadelstatus"
	"github.com/orbos/orbos/stacks"
)

// ZitadelStatus reads Zitadel, its database and its backups back from the ORB's cluster (nil when
// the spec has no Zitadel). It is read through the API after the run, like BOOM's tools: readiness
// and backups change without any run. A cluster that cannot be reached leaves it "unknown".
func (o *Orb) ZitadelStatus(ctx context.Context, spec *stacks.Spec) *record.ZitadelStatus {
	z := spec.ZitadelOn()
	if z == nil {
		return nil
	}
	get, err := o.clusterGet(ctx, spec)
	if err != nil {
		get = func(context.Context, string) (int, []byte, error) { return 0, nil, err }
	}
	return zitadelstatus.Read(ctx, get, z, time.Now())
}

// sameZitadel says whether two readings of Zitadel say the same: readiness, the live cluster and
// the backups they name, not the details or the time they were read at.
func sameZitadel(a, b *record.ZitadelStatus) bool {
	if a == nil || b == nil {
		return a == b
	}
	key := func(s *record.ZitadelStatus) [8]string {
		k := [8]string{s.Status, s.Database.Status, s.Database.Cluster}
		if bs := s.Backups; bs != nil {
			k[3] = bs.Schedule + " " + bs.Destination
			if bs.LastSuccessful != nil {
				k[4] = bs.LastSuccessful.Name
			}
			if bs.LastFailed != nil {
				k[5] = bs.LastFailed.Name
			}
			if bs.Unknown != "" {
				k[6] = "unknown"
			}
		}
		if r := s.RestoredFrom; r != nil {
			k[7] = r.Backup + " " + r.ToTime
		}
		return k
	}
	return key(a) == key(b) && a.Replicas == b.Replicas && a.Database.Instances == b.Database.Instances
}

// zitadelSummary says Zitadel's and its database's readiness and the last successful backup.
func zitadelSummary(s *record.ZitadelStatus) string {
	if s == nil {
		return "off"
	}
	out := s.Status + ", database " + s.Database.Status
	if b := s.Backups; b != nil && b.LastSuccessful != nil {
		out += ", last backup " + b.LastSuccessful.Name
	}
	return out
}
