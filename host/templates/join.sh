if [ -f /etc/kubernetes/kubelet.conf ]; then
  echo "already joined"
  rm -f "$KUBEADM_CONFIG"
else
  kubeadm join --config "$KUBEADM_CONFIG"
  # The join configuration holds a bootstrap token: it is not kept.
  rm -f "$KUBEADM_CONFIG"
fi
{{- if .HostGW}}
{{template "hostgw-cni" .}}
{{- end}}
