{{define "header"}}#!/bin/bash
# step: {{.}}
# Rendered by orbos. Idempotent: every step checks before it changes something.
set -euo pipefail
trap 'echo "orbos: \"$BASH_COMMAND\" failed (line $LINENO)" >&2' ERR
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C
{{end}}
{{define "k8s-repo"}}# The pkgs.k8s.io repository of this minor version.
repo=/etc/apt/sources.list.d/kubernetes.list
line='deb [signed-by=/etc/apt/keyrings/kubernetes-{{.Minor}}.gpg] https://pkgs.k8s.io/core:/stable:/{{.Minor}}/deb/ /'
if [ "$(cat "$repo" 2>/dev/null)" != "$line" ]; then
  mkdir -p /etc/apt/keyrings
  curl -fsSL https://pkgs.k8s.io/core:/stable:/{{.Minor}}/deb/Release.key | gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-{{.Minor}}.gpg
  echo "$line" > "$repo"
fi
{{end}}