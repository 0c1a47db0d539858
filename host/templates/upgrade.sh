{{template "header" (printf "upgrade %s to Kubernetes %s" .Name .Version)}}
{{template "k8s-repo" .}}
k8s_apt_update
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
