{{template "header" (printf "kubeadm init of %s" .Name)}}
if [ -f /etc/kubernetes/admin.conf ] && [ -f /etc/kubernetes/kubelet.conf ]; then
  echo "already initialized"
else
  kubeadm init --config {{q "/etc/orbos/kubeadm-init.yaml"}} --upload-certs --skip-token-print
fi
export KUBECONFIG=/etc/kubernetes/admin.conf
kubectl wait --for=condition=Available --timeout=300s -n kube-system deployment/coredns >/dev/null 2>&1 || true
{{- if eq .CNI "cilium"}}
# The CNI: cilium, installed once by its CLI.
if ! kubectl -n kube-system get daemonset cilium >/dev/null 2>&1; then
  cilium install --version {{.CiliumVersion}} --set ipam.operator.clusterPoolIPv4PodCIDRList={{q .PodCIDR}}
fi
{{- else}}
# The CNI: calico {{.CalicoVersion}}, applied server-side (idempotent).
kubectl apply --server-side --force-conflicts -f {{q .CNIManifest}}
kubectl -n kube-system set env daemonset/calico-node CALICO_IPV4POOL_CIDR={{q .PodCIDR}}
{{- end}}
