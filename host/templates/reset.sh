if [ -f /etc/kubernetes/kubelet.conf ] || [ -d /etc/kubernetes/manifests ]; then
  kubeadm reset --force
fi
# The hostgw CNI's routes, bridge, masquerading and boot unit.
ip -4 route flush proto 77 2>/dev/null || true
ip link del cni0 2>/dev/null || true
iptables -w -t nat -S POSTROUTING 2>/dev/null | grep -- '--comment orbos-hostgw' | sed 's/^-A /-D /' | while read -r -a rule; do
  iptables -w -t nat "${rule[@]}" || true
done
systemctl disable orbos-hostgw-routes >/dev/null 2>&1 || true
rm -f /etc/systemd/system/orbos-hostgw-routes.service
rm -rf /etc/orbos /etc/cni/net.d /etc/modules-load.d/orbos.conf /etc/sysctl.d/90-orbos.conf
systemctl disable kubelet || true
