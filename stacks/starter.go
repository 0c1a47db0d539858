package stacks

import (
	"bytes"
	"text/template"
)

// StarterOptions fill the stack file that `orbctl init` writes.
type StarterOptions struct {
	Orb               string
	EncryptionSalt    string
	KubernetesVersion string
	// KubeconfigCiphertext is the encrypted kubeconfig; empty leaves a placeholder comment.
	KubeconfigCiphertext string
}

var starter = template.Must(template.New("starter").Parse(`# Desired state of the ORB {{.Orb}}. orbctl reconciles the cluster to this file.
# Edit it, commit and push: the next ` + "`orbctl up`" + ` (or the in-cluster reconciler) applies it.
# Check it with ` + "`orbctl preview`" + `; every wrong field is reported with its path before anything runs.
#
# Secrets are stored encrypted (secure: ...) with the ORB's passphrase, which lives in the orbconfig
# file and never in this repository. Set them with ` + "`orbctl config set --secret KEY VALUE`" + `.

# Salt of the passphrase secrets provider; do not edit.
encryptionsalt: {{.EncryptionSalt}}
config:
  # ORBITER: infrastructure and Kubernetes.
  orbos:orbiter:
    apiVersion: ` + APIVersion + `
    kubernetes:
      # Kubernetes version, vMAJOR.MINOR.PATCH.
      version: {{.KubernetesVersion}}
      # Namespace for orbos's own objects.
      namespace: orbos-system
  # BOOM: platform tools, each a pinned Helm chart with orbos's production defaults. A tool's
  # chart, namespace, values, nodeSelector, tolerations and resources override the defaults.
  orbos:boom:
    apiVersion: ` + APIVersion + `
    tools:
      gateway:
        enabled: false
      certificates:
        enabled: false
      metrics:
        enabled: false
        chart: {version: 88.5.3}
{{- if .KubeconfigCiphertext}}
  # Kubeconfig of the cluster the ORB deploys to (encrypted).
  orbos:kubeconfig:
    secure: {{.KubeconfigCiphertext}}
{{- else}}
  # Kubeconfig of the cluster the ORB deploys to; required. Set it with:
  #   orbctl config set --secret orbos:kubeconfig --from-file ~/.kube/config
{{- end}}
`))

// Starter renders a commented starter stack file.
func Starter(o StarterOptions) []byte {
	if o.KubernetesVersion == "" {
		o.KubernetesVersion = "v1.31.4"
	}
	var b bytes.Buffer
	if err := starter.Execute(&b, o); err != nil {
		panic(err) // the template and its data are fixed: an error is a bug
	}
	return b.Bytes()
}
