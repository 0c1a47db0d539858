#!/bin/bash
# A recorder stands in for a binary that cannot run on a test host (apt-get, systemctl, kubeadm,
# kubelet, kubectl, ...). It logs its name and arguments to the shared log, checks the arguments
# the real one would insist on, and keeps just enough state under /var/lib/orbos-recorder for the
# read-back to see what was "installed", "started" and "joined". Where the real binary can do the
# work offline (kubeadm's certificate and kubeconfig phases), the recorder runs it.
set -euo pipefail
name=$(basename "$0")
state=/var/lib/orbos-recorder
mkdir -p "$state"
host=$(cat /etc/orbos-test/host)
printf '%s %s %s %s\n' "$(date +%s%N)" "$host" "$name" "$*" >> "$(cat /etc/orbos-test/log)"
fail() { echo "recorder $name: $*" >&2; exit 64; }
# A test makes a command fail with /etc/orbos-test/fail-NAME holding its stderr.
if [ -f "/etc/orbos-test/fail-$name" ]; then
  cat "/etc/orbos-test/fail-$name" >&2
  exit 1
fi
get() { cat "$state/$1" 2>/dev/null || true; }

case "$name" in
apt-get)
  case "${1:-}" in
  update) ;;
  install)
    shift
    for a in "$@"; do
      case "$a" in
      -y|-q|--allow-downgrades) ;;
      -*) fail "unexpected option $a" ;;
      *=*) echo "${a#*=}" | sed 's/-1\.1$//; s/^/v/' > "$state/${a%%=*}" ;;
      *) echo "v0.0.0-recorded" > "$state/$a" ;;
      esac
      if [ "$a" = containerd ]; then echo "1.7.24" > "$state/containerd"; fi
    done
    ;;
  *) fail "unexpected subcommand ${1:-}" ;;
  esac
  ;;
apt-mark)
  case "${1:-}" in hold|unhold) ;; *) fail "unexpected subcommand ${1:-}" ;; esac
  for p in "${@:2}"; do [ -f "$state/$p" ] || fail "$p is not installed"; done
  ;;
systemctl)
  case "${1:-}" in
  is-active) u=$2; q=; if [ "$u" = --quiet ]; then q=1; u=$3; fi
    if [ -f "$state/service-$u" ]; then [ -n "$q" ] || echo active; else [ -n "$q" ] || echo inactive; exit 3; fi ;;
  enable) shift; now=; [ "${1:-}" = --now ] && now=1 && shift; for s in "$@"; do touch "$state/enabled-$s"; if [ -n "$now" ]; then touch "$state/service-$s"; fi; done ;;
  disable) shift; for s in "$@"; do rm -f "$state/enabled-$s"; done ;;
  start|restart|reload-or-restart) touch "$state/service-$2" ;;
  stop) rm -f "$state/service-$2" ;;
  daemon-reload) ;;
  reboot) cat /proc/sys/kernel/random/uuid > "$(cat /etc/orbos-test/boot-id)" ;;
  *) fail "unexpected subcommand ${1:-}" ;;
  esac
  ;;
modprobe) [ $# -eq 1 ] || fail "one module at a time" ;;
swapoff) [ "${1:-}" = -a ] || fail "expected -a" ;;
sysctl) [ "${1:-} ${2:-}" = "-q -p" ] && [ -f "${3:-}" ] || fail "expected -q -p FILE" ;;
curl) echo "recorded key" ;;
gpg) cat >/dev/null; out=; while [ $# -gt 0 ]; do if [ "$1" = -o ]; then out=$2; fi; shift; done; if [ -n "$out" ]; then echo key > "$out"; fi ;;
containerd)
  case "${1:-}" in
  --version) v=$(get containerd); [ -n "$v" ] || exit 127; echo "containerd containerd.io $v recorded" ;;
  config) printf '[plugins]\n  SystemdCgroup = false\n' ;;
  *) fail "unexpected ${1:-}" ;;
  esac
  ;;
kubelet)
  [ "${1:-}" = --version ] || fail "only --version runs on a test host"
  v=$(get kubelet); [ -n "$v" ] || exit 127
  echo "Kubernetes $v"
  ;;
kubectl)
  if [ "${1:-}" = version ]; then v=$(get kubectl); [ -n "$v" ] || exit 127; echo "Client Version: $v"; exit 0; fi
  [ -n "${KUBECONFIG:-}" ] && [ -f "$KUBECONFIG" ] || fail "no admin kubeconfig at ${KUBECONFIG:-(unset)}"
  # A node asking for its own kubelet version and readiness (after an upgrade) sees the installed kubelet, Ready.
  case "$*" in *nodeInfo.kubeletVersion*) echo "$(get kubelet) True" ;; esac
  ;;
etcdctl)
  [ "${ETCDCTL_API:-}" = 3 ] || fail "ETCDCTL_API=3 expected"
  for a in "$@"; do last=$a; done
  [ -f /etc/kubernetes/pki/etcd/ca.crt ] || fail "no etcd CA: not a control plane"
  echo snapshot > "$last"
  ;;
kubeadm)
  real=$(cat /etc/orbos-test/kubeadm)
  case "${1:-} ${2:-}" in
  "version -o") v=$(get kubeadm); [ -n "$v" ] || exit 127; echo "$v" ;;
  "config images")
    [ "${3:-} ${4:-}" = "list --kubernetes-version" ] || fail "unexpected arguments $*"
    repo=registry.k8s.io; [ "${6:-}" = --image-repository ] && repo=$7
    for i in "kube-apiserver:$5" "kube-controller-manager:$5" "kube-scheduler:$5" "kube-proxy:$5" coredns/coredns:v1.11.3 pause:3.10 etcd:3.5.15-0; do echo "$repo/$i"; done
    ;;
  "init --config")
    [ -f "$3" ] || fail "no config $3"
    grep -q "kubernetesVersion: \"$(get kubeadm)\"" "$3" || fail "the config's version is not the installed kubeadm's $(get kubeadm)"
    [ -f "$state/service-containerd" ] || fail "containerd is not running"
    # Test hosts live on loopback addresses, which kubeadm refuses to advertise: the real phases get
    # a copy of the configuration with a routable stand-in.
    cfg=$(mktemp); sed 's/advertiseAddress: .*/advertiseAddress: "10.255.0.1"/' "$3" > "$cfg"
    "$real" init phase certs all --config "$cfg" >/dev/null
    "$real" init phase kubeconfig all --config "$cfg" >/dev/null
    rm -f "$cfg"
    mkdir -p /etc/kubernetes/manifests && touch /etc/kubernetes/manifests/kube-apiserver.yaml
    touch "$state/service-kubelet"
    echo "Your Kubernetes control-plane has initialized successfully!"
    ;;
  "join --config")
    [ -f "$3" ] || fail "no config $3"
    cfg=$(mktemp); sed 's/advertiseAddress: .*/advertiseAddress: "10.255.0.2"/' "$3" > "$cfg"
    "$real" config validate --config "$cfg" >/dev/null
    rm -f "$cfg"
    grep -q 'token: "[a-z0-9]\{6\}\.[a-z0-9]\{16\}"' "$3" || fail "no bootstrap token in $3"
    mkdir -p /etc/kubernetes/pki
    echo "recorded kubelet.conf" > /etc/kubernetes/kubelet.conf
    if grep -q '^controlPlane:' "$3"; then
      grep -q 'certificateKey: "[0-9a-f]\{64\}"' "$3" || fail "a control plane joins with a certificate key"
      mkdir -p /etc/kubernetes/manifests /etc/kubernetes/pki/etcd; touch /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/pki/etcd/ca.crt
      echo "recorded admin.conf" > /etc/kubernetes/admin.conf
    fi
    touch "$state/service-kubelet"
    ;;
  # The secrets it hands out are kept in $state/issued, for tests that look for them where they must not be.
  "token create") tok=$(head -c 11 /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/^\(......\)\(................\).*/\1.\2/'); echo "$tok" >> "$state/issued"; echo "$tok" ;;
  "certs certificate-key") key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'); echo "$key" >> "$state/issued"; echo "$key" ;;
  "init phase") [ "$3" = upload-certs ] || fail "unexpected phase $3"; [ -f /etc/kubernetes/admin.conf ] || fail "not a control plane" ;;
  "upgrade apply")
    [ "$(get kubeadm)" = "$3" ] || fail "kubeadm $(get kubeadm) cannot apply $3"
    [ -f /etc/kubernetes/admin.conf ] || fail "not a control plane"
    echo "$3" > "$state/upgraded"
    ;;
  "upgrade node") [ -f /etc/kubernetes/kubelet.conf ] || fail "not joined"; get kubeadm > "$state/upgraded" ;;
  "reset --force") rm -rf /etc/kubernetes/*.conf /etc/kubernetes/manifests /etc/kubernetes/pki; rm -f "$state/service-kubelet" ;;
  *) fail "unexpected arguments $*" ;;
  esac
  ;;
cilium) [ "${1:-}" = install ] || fail "unexpected ${1:-}" ;;
keepalived) [ "${1:-}" = --config-test ] || fail "only --config-test" ; [ -f "$3" ] || fail "no $3" ;;
haproxy) [ "${1:-}" = -c ] || fail "only -c" ;;
*) fail "no recorder behaviour" ;;
esac
