package toolstatus

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Delete deletes an API path of the cluster: status code and body.
type Delete func(ctx context.Context, path string) (int, []byte, error)

// RecoverPending makes a Helm release that an interrupted run left pending (pending-install,
// pending-upgrade, pending-rollback) installable again: Helm refuses every operation on a release
// whose newest revision is pending (pulumi-kubernetes#2054). The pending revision's record is
// deleted, so that the newest revision is the one before it (an upgrade starts from there), or, for
// an interrupted first install, there is no release (the install starts again and adopts what the
// interrupted one made, whose objects carry the release's annotations). It returns what it did, ""
// when the release was not pending.
func RecoverPending(ctx context.Context, get Get, del Delete, namespace, release string) (string, error) {
	revs, err := ReleaseSecrets(ctx, get, namespace, release)
	if err != nil || len(revs) == 0 {
		return "", err
	}
	last := revs[len(revs)-1]
	if !strings.HasPrefix(last.Status, "pending-") {
		return "", nil
	}
	path := "/api/v1/namespaces/" + url.PathEscape(namespace) + "/secrets/" + url.PathEscape(last.Name)
	code, _, err := del(ctx, path)
	if err != nil {
		return "", fmt.Errorf("recovering the Helm release %s: %w", release, err)
	}
	if code != http.StatusOK && code != http.StatusAccepted && code != http.StatusNotFound {
		return "", fmt.Errorf("recovering the Helm release %s: deleting its pending revision %d: HTTP %d", release, last.Revision, code)
	}
	return fmt.Sprintf("the Helm release %s in %s was left %s (revision %d) by an interrupted run: that revision is dropped so that this run can install it again", release, namespace, last.Status, last.Revision), nil
}
