if [ -f /etc/kubernetes/admin.conf ] && [ -f /etc/kubernetes/kubelet.conf ]; then
  echo "already initialized"
else
  kubeadm init --config "$KUBEADM_CONFIG" --upload-certs --skip-token-print
fi
export KUBECONFIG=/etc/kubernetes/admin.conf
kubectl wait --for=condition=Available --timeout=300s -n kube-system deployment/coredns >/dev/null 2>&1 || true
{{- if .Cilium}}
# The CNI: cilium, installed once by its CLI.
if ! kubectl -n kube-system get daemonset cilium >/dev/null 2>&1; then
  cilium install --version "$CILIUM_VERSION" --set "ipam.operator.clusterPoolIPv4PodCIDRList=$POD_CIDR"
fi
{{- else}}
# The CNI: calico, applied server-side (idempotent).
kubectl apply --server-side --force-conflicts -f "$CALICO_MANIFEST"
kubectl -n kube-system set env daemonset/calico-node "CALICO_IPV4POOL_CIDR=$POD_CIDR"
{{- end}}
