{{define "k8s-repo"}}
{{- if .OwnPackageRepository}}# The ORB's own repository of kubeadm, kubelet and kubectl for this minor version, and its key.
repo=/etc/apt/sources.list.d/kubernetes.list
key=/etc/apt/keyrings/orbos-kubernetes.asc
line="deb [signed-by=$key] $PACKAGE_REPOSITORY /"
mkdir -p /etc/apt/keyrings
if [ "$(cat "$key" 2>/dev/null)" != "$PACKAGE_KEY" ]; then
  printf '%s\n' "$PACKAGE_KEY" > "$key.tmp" && mv "$key.tmp" "$key"
fi
if [ "$(cat "$repo" 2>/dev/null)" != "$line" ]; then
  echo "$line" > "$repo"
fi
{{- else}}# The pkgs.k8s.io repository of this minor version.
repo=/etc/apt/sources.list.d/kubernetes.list
keyring="/etc/apt/keyrings/kubernetes-$KUBERNETES_MINOR.gpg"
line="deb [signed-by=$keyring] https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/ /"
if [ "$(cat "$repo" 2>/dev/null)" != "$line" ]; then
  mkdir -p /etc/apt/keyrings
  curl -fsSL "https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/Release.key" | gpg --batch --yes --dearmor -o "$keyring"
  echo "$line" > "$repo"
fi
{{- end}}
# Only the Kubernetes repository is refreshed: other mirrors being slow or unreachable (air-gapped
# machines) does not stop the node.
k8s_apt_update() {
  apt-get update -q -o Dir::Etc::sourcelist=sources.list.d/kubernetes.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
}
{{end}}
