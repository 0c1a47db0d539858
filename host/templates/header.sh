{{define "header"}}#!/bin/bash
# step: {{.}}
# Rendered by orbos. Idempotent: every step checks before it changes something.
set -euo pipefail
trap 'echo "orbos: \"$BASH_COMMAND\" failed (line $LINENO)" >&2' ERR
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C
{{end}}
{{define "k8s-repo"}}
{{- if .Runtime.PackageRepository}}# The ORB's own repository of kubeadm, kubelet and kubectl for this minor version, and its key.
repo=/etc/apt/sources.list.d/kubernetes.list
key=/etc/apt/keyrings/orbos-kubernetes.asc
keyring={{q .Runtime.PackageKey}}
line={{q (printf "deb [signed-by=/etc/apt/keyrings/orbos-kubernetes.asc] %s /" (.Runtime.PackageURL .Version))}}
mkdir -p /etc/apt/keyrings
if [ "$(cat "$key" 2>/dev/null)" != "$keyring" ]; then
  printf '%s\n' "$keyring" > "$key.tmp" && mv "$key.tmp" "$key"
fi
if [ "$(cat "$repo" 2>/dev/null)" != "$line" ]; then
  echo "$line" > "$repo"
fi
{{- else}}# The pkgs.k8s.io repository of this minor version.
repo=/etc/apt/sources.list.d/kubernetes.list
line='deb [signed-by=/etc/apt/keyrings/kubernetes-{{.Minor}}.gpg] https://pkgs.k8s.io/core:/stable:/{{.Minor}}/deb/ /'
if [ "$(cat "$repo" 2>/dev/null)" != "$line" ]; then
  mkdir -p /etc/apt/keyrings
  curl -fsSL https://pkgs.k8s.io/core:/stable:/{{.Minor}}/deb/Release.key | gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-{{.Minor}}.gpg
  echo "$line" > "$repo"
fi
{{- end}}
# Only the Kubernetes repository is refreshed: other mirrors being slow or unreachable (air-gapped
# machines) does not stop the node.
k8s_apt_update() {
  apt-get update -q -o Dir::Etc::sourcelist=sources.list.d/kubernetes.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
}
{{end}}