if [ -f /etc/kubernetes/kubelet.conf ]; then
  echo "already joined"
  exit 0
fi
kubeadm join --config "$KUBEADM_CONFIG"
# The join configuration holds a bootstrap token: it is not kept.
rm -f "$KUBEADM_CONFIG"
