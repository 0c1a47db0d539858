{{template "header" (printf "kubeadm join of %s as %s" .Name .Role)}}
if [ -f /etc/kubernetes/kubelet.conf ]; then
  echo "already joined"
  rm -f /etc/orbos/kubeadm-join.yaml
else
  kubeadm join --config {{q "/etc/orbos/kubeadm-join.yaml"}}
  # The join configuration holds a bootstrap token: it is not kept.
  rm -f /etc/orbos/kubeadm-join.yaml
fi
{{- if eq .CNI "hostgw"}}
{{template "hostgw-cni" .}}
{{- end}}
