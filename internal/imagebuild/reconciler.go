package imagebuild

import (
	"fmt"
	"os"
	"path/filepath"
)

// ReconcilerBinaries are the files of `make image-context` (bin/image/), installed in
// /usr/local/bin as the Dockerfile does.
var ReconcilerBinaries = []string{"orbctl", "orbos-policy", "pulumi", "pulumi-resource-kubernetes"}

// nonroot is the Dockerfile's user (distroless's nonroot).
const (
	nonrootUID  = 65532
	nonrootHome = "/home/nonroot"
	caBundle    = "/etc/ssl/certs/ca-certificates.crt"
)

// Reconciler writes the reconciler image (the Dockerfile's, without a container engine) from
// the image context dir: its binaries with their ldd closure (the Pulumi CLI and plugin may be
// linked to libc), the host's CA bundle, a nonroot user with a home, and /tmp.
func Reconciler(out, ref, contextDir string) error {
	cfg := Config{
		Entrypoint: []string{"/usr/local/bin/orbctl"},
		Cmd:        []string{"reconcile"},
		// containerd, unlike Docker, gives a container no PATH of its own: orbctl finds the Pulumi
		// CLI, its plugin and the policy pack on it.
		Env:  []string{"PATH=/usr/local/bin:/usr/bin:/bin", "PULUMI_SKIP_UPDATE_CHECK=true", "HOME=" + nonrootHome, "SSL_CERT_FILE=" + caBundle},
		User: fmt.Sprintf("%d:%d", nonrootUID, nonrootUID),
	}
	return Build(out, ref, cfg, func(l *Layer) error {
		for _, b := range ReconcilerBinaries {
			src := filepath.Join(contextDir, b)
			if err := l.File("/usr/local/bin/"+b, 0o755, src); err != nil {
				return err
			}
			libs, err := LinkedLibraries(src)
			if err != nil {
				return err
			}
			for _, lib := range libs {
				if err := l.HostPath(lib); err != nil {
					return err
				}
			}
		}
		if err := l.HostPath(caBundle); err != nil {
			return fmt.Errorf("%w (install Debian's ca-certificates)", err)
		}
		passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:%s:/sbin/nologin\n", nonrootUID, nonrootUID, nonrootHome)
		group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", nonrootUID)
		if err := l.Bytes("/etc/passwd", 0o644, []byte(passwd)); err != nil {
			return err
		}
		if err := l.Bytes("/etc/group", 0o644, []byte(group)); err != nil {
			return err
		}
		if err := l.Dir(nonrootHome, 0o700, nonrootUID, nonrootUID); err != nil {
			return err
		}
		return l.Dir("/tmp", 0o777|os.ModeSticky, 0, 0)
	})
}
