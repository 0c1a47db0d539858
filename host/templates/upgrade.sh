{{template "k8s-repo" .}}
k8s_apt_update
if [ "$(kubeadm version -o short 2>/dev/null || true)" != "$KUBERNETES_VERSION" ]; then
  apt-mark unhold kubeadm
  apt-get install -y -q "kubeadm=$PACKAGE_VERSION"
  apt-mark hold kubeadm
fi
{{- if .Init}}
kubeadm upgrade apply "$KUBERNETES_VERSION" --yes
{{- else}}
kubeadm upgrade node
{{- end}}
if [ "$(kubelet --version 2>/dev/null || true)" != "Kubernetes $KUBERNETES_VERSION" ]; then
  apt-mark unhold kubelet kubectl
  apt-get install -y -q "kubelet=$PACKAGE_VERSION" "kubectl=$PACKAGE_VERSION"
  apt-mark hold kubelet kubectl
fi
systemctl daemon-reload
systemctl restart kubelet
