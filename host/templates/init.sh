if [ -f /etc/kubernetes/admin.conf ] && [ -f /etc/kubernetes/kubelet.conf ]; then
  echo "already initialized"
else
  # kubeadm waits for a healthy API server before it returns.
  kubeadm init --config "$KUBEADM_CONFIG" --upload-certs --skip-token-print
fi
export KUBECONFIG=/etc/kubernetes/admin.conf
{{- if .Cilium}}
# The CNI: cilium, installed once by its CLI.
if ! kubectl -n kube-system get daemonset cilium >/dev/null 2>&1; then
  cilium install --version "$CILIUM_VERSION" --set "ipam.operator.clusterPoolIPv4PodCIDRList=$POD_CIDR"
fi
{{- else if .HostGW}}
{{template "hostgw-cni" .}}
{{- else}}
# The CNI: calico, applied server-side (idempotent).
kubectl apply --server-side --force-conflicts -f "$CALICO_MANIFEST"
kubectl -n kube-system set env daemonset/calico-node "CALICO_IPV4POOL_CIDR=$POD_CIDR"
{{- end}}
# CoreDNS can only become available once the CNI runs: wait for it now, and fail loudly if it does not.
if ! kubectl -n kube-system rollout status deployment/coredns --timeout=300s; then
  kubectl -n kube-system get pods -o wide >&2 || true
  echo "orbos: CoreDNS did not become available in 300 s: the pod network does not work" >&2
  exit 1
fi
