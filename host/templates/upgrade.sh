{{template "header" (printf "upgrade %s to Kubernetes %s" .Name .Version)}}
repo=/etc/apt/sources.list.d/kubernetes.list
line='deb [signed-by=/etc/apt/keyrings/kubernetes-{{.Minor}}.gpg] https://pkgs.k8s.io/core:/stable:/{{.Minor}}/deb/ /'
if [ "$(cat "$repo" 2>/dev/null)" != "$line" ]; then
  mkdir -p /etc/apt/keyrings
  curl -fsSL https://pkgs.k8s.io/core:/stable:/{{.Minor}}/deb/Release.key | gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-{{.Minor}}.gpg
  echo "$line" > "$repo"
fi
apt-get update -q
if [ "$(kubeadm version -o short 2>/dev/null || true)" != {{q .Version}} ]; then
  apt-mark unhold kubeadm
  apt-get install -y -q kubeadm={{.Package}}
  apt-mark hold kubeadm
fi
{{- if eq .Role "init"}}
kubeadm upgrade apply {{q .Version}} --yes
{{- else}}
kubeadm upgrade node
{{- end}}
if [ "$(kubelet --version 2>/dev/null || true)" != {{q (printf "Kubernetes %s" .Version)}} ]; then
  apt-mark unhold kubelet kubectl
  apt-get install -y -q kubelet={{.Package}} kubectl={{.Package}}
  apt-mark hold kubelet kubectl
fi
systemctl daemon-reload
systemctl restart kubelet
