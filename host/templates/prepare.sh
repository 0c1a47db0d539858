# Swap off now and after reboots: the kubelet refuses to run with swap.
swapoff -a
if grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' /etc/fstab; then
  sed -i -E 's/^([^#].*[[:space:]]swap[[:space:]].*)$/# \1 # disabled by orbos/' /etc/fstab
fi

# Kernel modules and sysctls for bridged pod traffic and forwarding (modules built into the kernel
# need no loading; only orbos's own sysctl file is applied).
mkdir -p /etc/modules-load.d /etc/sysctl.d /lib/modules
printf 'overlay\nbr_netfilter\n' > /etc/modules-load.d/orbos.conf
modprobe overlay 2>/dev/null || grep -qw overlay /proc/filesystems
modprobe br_netfilter 2>/dev/null || [ -d /proc/sys/net/bridge ]
printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n' > /etc/sysctl.d/90-orbos.conf
sysctl -q -p /etc/sysctl.d/90-orbos.conf

{{template "k8s-repo" .}}
# containerd from the machine's own distribution.
if [ -z "$(containerd --version 2>/dev/null || true)" ]; then
  apt-get update -q
  apt-get install -y -q containerd
fi

# kubeadm, kubelet and kubectl, only when missing: changing their version is the upgrade's job.
if [ -z "$(kubeadm version -o short 2>/dev/null || true)" ] || [ -z "$(kubelet --version 2>/dev/null || true)" ]; then
  k8s_apt_update
  # The pinned version wins over whatever the machine had (another kubectl package, say).
  apt-get install -y -q --allow-downgrades "kubeadm=$PACKAGE_VERSION" "kubelet=$PACKAGE_VERSION" "kubectl=$PACKAGE_VERSION"
  apt-mark hold kubeadm kubelet kubectl
fi

# containerd's configuration: its defaults with the cgroup driver, the pause image kubeadm uses,
# the registry hosts directory, and oom_score_adj left alone where this root may not lower it
# (containers, namespaces).
pause=$(kubeadm config images list --kubernetes-version "$KUBERNETES_VERSION"{{if .ImageRepository}} --image-repository "$IMAGE_REPOSITORY"{{end}} 2>/dev/null | grep '/pause:' || true)
if [ -z "$pause" ]; then
  echo "orbos: kubeadm did not name its pause image" >&2
  exit 1
fi
restrict=false
if ! (echo -999 > /proc/self/oom_score_adj) 2>/dev/null; then restrict=true; fi
config=$(containerd config default | sed \
  -e "s/SystemdCgroup = .*/SystemdCgroup = $SYSTEMD_CGROUP/" \
  -e "s/restrict_oom_score_adj = .*/restrict_oom_score_adj = $restrict/" \
  -e "s|sandbox_image = .*|sandbox_image = \"$pause\"|" \
  -e "s|config_path = .*|config_path = \"$REGISTRY_CONFIG_DIR\"|")
mkdir -p /etc/containerd "$REGISTRY_CONFIG_DIR"
restart=false
if [ "$(cat /etc/containerd/config.toml 2>/dev/null)" != "$config" ]; then
  printf '%s\n' "$config" > /etc/containerd/config.toml.orbos
  mv /etc/containerd/config.toml.orbos /etc/containerd/config.toml
  restart=true
fi
# Registry hosts (mirrors, plain-HTTP registries): containerd reads them at every pull. Those orbos
# wrote before and no longer wants go.
wanted="${REGISTRY_DIRS[*]}"
for d in "$REGISTRY_CONFIG_DIR"/*/; do
  [ -f "$d.orbos" ] || continue
  case " $wanted " in *" $(basename "$d") "*) ;; *) rm -rf "$d" ;; esac
done
for i in "${!REGISTRY_DIRS[@]}"; do
  dir="$REGISTRY_CONFIG_DIR/${REGISTRY_DIRS[$i]}"
  mkdir -p "$dir"
  printf '%s' "${REGISTRY_HOSTS[$i]}" > "$dir/hosts.toml"
  touch "$dir/.orbos"
done
if $restart || ! systemctl is-active --quiet containerd; then
  systemctl restart containerd
fi
systemctl enable containerd
for _ in $(seq 1 60); do
  [ -S /run/containerd/containerd.sock ] && break
  sleep 0.5
done

systemctl enable kubelet
# A node that was joined before gets its kubelet back (stopped by hand, or after a failure).
if [ -f /var/lib/kubelet/config.yaml ] && ! systemctl is-active --quiet kubelet; then
  systemctl start kubelet
fi
