if [ -f /etc/kubernetes/kubelet.conf ] || [ -d /etc/kubernetes/manifests ]; then
  kubeadm reset --force
fi
rm -rf /etc/orbos /etc/cni/net.d /etc/modules-load.d/orbos.conf /etc/sysctl.d/90-orbos.conf
systemctl disable kubelet || true
