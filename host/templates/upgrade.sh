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
# Upgraded means the new kubelet runs and the node object says so, Ready: until then the node must
# stay cordoned and the next node must not be drained (a restarted kubelet's node keeps its old
# version and Ready condition for a while).
for _ in $(seq 1 150); do
  seen=$(KUBECONFIG=/etc/kubernetes/kubelet.conf kubectl --request-timeout=5s get node "$NODE_NAME" \
    -o 'jsonpath={.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
  [ "$seen" = "$KUBERNETES_VERSION True" ] && exit 0
  sleep 2
done
echo "orbos: node $NODE_NAME did not report kubelet $KUBERNETES_VERSION Ready within 300 s (last seen: ${seen:-nothing})" >&2
exit 1
