package policy

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orbos/orbos/stacks"
)

// Backups leave the cluster: S3 or GCS, not a store served from the cluster, and the rendered
// objects go through the plugin to s3:// or gs://.
func TestZitadelBackupsLeaveTheCluster(t *testing.T) {
	with := func(s stacks.ObjectStore) *Input {
		return &Input{Zitadel: &stacks.Zitadel{Enabled: true, Database: stacks.Database{Backups: &stacks.DBBackups{Schedule: "0 3 * * *", ObjectStore: s}}}}
	}
	for _, ok := range []stacks.ObjectStore{{Type: "gcs"}, {Type: "s3"}, {Type: "s3", Endpoint: "https://s3.eu-central-1.amazonaws.com"}} {
		if got := with(ok).zitadelBackupsOffCluster(); len(got) != 0 {
			t.Errorf("%+v refused: %v", ok, got)
		}
	}
	for _, bad := range []stacks.ObjectStore{{Type: "pvc"}, {Type: "s3", Endpoint: "https://minio.storage.svc:9000"}, {Type: "s3", Endpoint: "https://minio.storage.svc.cluster.local"}, {Type: "s3", Endpoint: "https://minio"}} {
		if got := with(bad).zitadelBackupsOffCluster(); len(got) != 1 {
			t.Errorf("%+v passed: %v", bad, got)
		}
	}
	res := func(typ string, spec map[string]any) policyx.AnalyzerResource {
		return policyx.AnalyzerResource{Type: typ, Name: "zitadel-db", Properties: obj(map[string]any{"spec": spec})}
	}
	for _, c := range []struct {
		r    policyx.AnalyzerResource
		want string
	}{
		{res(scheduledBackupType, map[string]any{"method": "plugin"}), ""},
		{res(scheduledBackupType, map[string]any{"method": "volumeSnapshot"}), "volume snapshots stay in the cluster"},
		{res(objectStoreType, map[string]any{"configuration": map[string]any{"destinationPath": "s3://b/p"}}), ""},
		{res(objectStoreType, map[string]any{"configuration": map[string]any{"destinationPath": "gs://b/p"}}), ""},
		{res(objectStoreType, map[string]any{"configuration": map[string]any{"destinationPath": "/var/lib/backups"}}), "does not write to s3:// or gs://"},
		{res(objectStoreType, map[string]any{"configuration": map[string]any{"destinationPath": "s3://b/p", "endpointURL": "http://minio.storage.svc:9000"}}), "inside the cluster"},
	} {
		got := renderedBackupInCluster(c.r)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s %v: %q, want %q", c.r.Type, c.r.Properties, got, c.want)
		}
	}
}

// A masterkey Secret whose hash differs from the running one is refused with the reason; before
// Zitadel's first run, and with the same key, it passes.
func TestZitadelMasterkeyNeverChanges(t *testing.T) {
	secret := func(hash string) policyx.AnalyzerResource {
		return policyx.AnalyzerResource{Type: secretType, Name: "zitadel-masterkey", Properties: obj(map[string]any{
			"metadata": map[string]any{"name": "zitadel-masterkey", "annotations": map[string]any{MasterkeyAnnotation: hash}}})}
	}
	if got := masterkeyChanged("")(secret("aaaa")); got != "" {
		t.Errorf("first run: %s", got)
	}
	if got := masterkeyChanged("aaaa")(secret("aaaa")); got != "" {
		t.Errorf("same key: %s", got)
	}
	got := masterkeyChanged("aaaa")(secret("bbbb"))
	for _, want := range []string{"masterkey", "loses all", "restore the previous " + stacks.KeyZitadelMasterkey} {
		if !strings.Contains(got, want) {
			t.Errorf("a changed key: %q lacks %q", got, want)
		}
	}
	other := policyx.AnalyzerResource{Type: secretType, Name: "other", Properties: obj(map[string]any{"metadata": map[string]any{"name": "other"}})}
	if got := masterkeyChanged("aaaa")(other); got != "" {
		t.Errorf("another Secret: %s", got)
	}
}
