{{define "k8s-repo"}}# The pkgs.k8s.io repository of this minor version.
repo=/etc/apt/sources.list.d/kubernetes.list
keyring="/etc/apt/keyrings/kubernetes-$KUBERNETES_MINOR.gpg"
line="deb [signed-by=$keyring] https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/ /"
if [ "$(cat "$repo" 2>/dev/null)" != "$line" ]; then
  mkdir -p /etc/apt/keyrings
  curl -fsSL "https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/Release.key" | gpg --batch --yes --dearmor -o "$keyring"
  echo "$line" > "$repo"
fi
{{end}}
