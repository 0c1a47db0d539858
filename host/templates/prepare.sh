# Swap off now and after reboots: the kubelet refuses to run with swap.
swapoff -a
if grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' /etc/fstab; then
  sed -i -E 's/^([^#].*[[:space:]]swap[[:space:]].*)$/# \1 # disabled by orbos/' /etc/fstab
fi

# Kernel modules and sysctls for bridged pod traffic and forwarding.
mkdir -p /etc/modules-load.d /etc/sysctl.d
printf 'overlay\nbr_netfilter\n' > /etc/modules-load.d/orbos.conf
modprobe overlay
modprobe br_netfilter
printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n' > /etc/sysctl.d/90-orbos.conf
sysctl --system >/dev/null

{{template "k8s-repo" .}}
# containerd with systemd cgroups.
if [ -z "$(containerd --version 2>/dev/null || true)" ]; then
  apt-get update -q
  apt-get install -y -q containerd
fi
mkdir -p /etc/containerd
if ! grep -q 'SystemdCgroup = true' /etc/containerd/config.toml 2>/dev/null; then
  containerd config default | sed 's/SystemdCgroup = false/SystemdCgroup = true/' > /etc/containerd/config.toml
  systemctl restart containerd
fi
systemctl enable --now containerd

# kubeadm, kubelet and kubectl, only when missing: changing their version is the upgrade's job.
if [ -z "$(kubeadm version -o short 2>/dev/null || true)" ] || [ -z "$(kubelet --version 2>/dev/null || true)" ]; then
  apt-get update -q
  apt-get install -y -q "kubeadm=$PACKAGE_VERSION" "kubelet=$PACKAGE_VERSION" "kubectl=$PACKAGE_VERSION"
  apt-mark hold kubeadm kubelet kubectl
fi
systemctl enable kubelet
