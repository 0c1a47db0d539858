#!/usr/bin/env bash
# Builds or installs every tool orbos's tests and demo need, offline (Go module proxy + Debian packages only).
# Results are cached outside the clone, keyed by version, so a second run takes seconds.
#   ORBOS_TOOLS  cache root (default: $HOME/.cache/orbos/tools)
# Prints nothing but progress; the last line is the bin directory to put on PATH.
set -euo pipefail

PULUMI_VERSION=v3.274.1
K8S_PROVIDER_VERSION=4.25.0
K8S_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
KUBERNETES_VERSION=v1.31.4
KUBERNETES_STAGING_VERSION=v0.31.4

root="${ORBOS_TOOLS:-$HOME/.cache/orbos/tools}"
bin="$root/bin"
mkdir -p "$root" "$bin"
log() { printf 'tools: %s\n' "$*" >&2; }

# link NAME TARGET: expose a cached, versioned binary under bin/.
link() { ln -sfn "$2" "$bin/$1"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  apt-get update -qq >/dev/null
  # etcd-server's post-install tries to start a service, which is refused here; that is harmless.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_pulumi() {
  local dir="$root/pulumi-$PULUMI_VERSION"
  if [ ! -x "$dir/pulumi" ]; then
    log "building the Pulumi CLI $PULUMI_VERSION from source (about 4 min)"
    local src; src=$(mktemp -d); trap 'rm -rf "$src"' RETURN
    (
      cd "$src"
      go mod init orbos.tools/pulumi >/dev/null 2>&1
      go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" >/dev/null 2>&1
      mkdir -p "$dir.tmp"
      go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
        -o "$dir.tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    )
    rm -rf "$dir"; mv "$dir.tmp" "$dir"
  fi
  link pulumi "$dir/pulumi"
}

build_k8s_provider() {
  local dir="$root/pulumi-resource-kubernetes-$K8S_PROVIDER_VERSION"
  if [ ! -x "$dir/pulumi-resource-kubernetes" ]; then
    log "building the Pulumi kubernetes provider $K8S_PROVIDER_VERSION from source (about 6 min)"
    local work; work=$(mktemp -d); trap 'rm -rf "$work"' RETURN
    (
      cd "$work"
      go mod init orbos.tools/fetch >/dev/null 2>&1
      modir=$(go mod download -json "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_MODULE_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
      cp -r "$modir" provider && chmod -R u+w provider
      cd provider
      go mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 -require "github.com/pulumi/pulumi-kubernetes/sdk/v4@v$K8S_PROVIDER_VERSION"
      go mod tidy >/dev/null 2>&1
      (cd cmd/pulumi-resource-kubernetes && VERSION=$K8S_PROVIDER_VERSION go run generate.go >/dev/null)
      mkdir -p "$dir.tmp"
      go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_VERSION" \
        -o "$dir.tmp/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes
    )
    rm -rf "$dir"; mv "$dir.tmp" "$dir"
  fi
  link pulumi-resource-kubernetes "$dir/pulumi-resource-kubernetes"
}

build_kubernetes() {
  local dir="$root/kubernetes-$KUBERNETES_VERSION"
  if [ ! -x "$dir/kube-apiserver" ] || [ ! -x "$dir/kube-controller-manager" ] || [ ! -x "$dir/kubeadm" ]; then
    log "building kube-apiserver, kube-controller-manager and kubeadm $KUBERNETES_VERSION from source (about 5 min)"
    local work; work=$(mktemp -d); trap 'rm -rf "$work"' RETURN
    (
      cd "$work"
      go mod init orbos.tools/kubernetes >/dev/null 2>&1
      go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null
      gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
      # k8s.io/kubernetes replaces each staging module with ./staging/...; point them at the published versions.
      for m in $(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod"); do
        go mod edit -replace "$m=$m@$KUBERNETES_STAGING_VERSION"
      done
      go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION" >/dev/null 2>&1
      go get "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBERNETES_VERSION" "k8s.io/kubernetes/cmd/kubeadm@$KUBERNETES_VERSION" >/dev/null 2>&1
      v=k8s.io/component-base/version
      ldflags="-s -w -X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=31"
      mkdir -p "$dir.tmp"
      for cmd in kube-apiserver kube-controller-manager kubeadm; do
        go build -trimpath -ldflags "$ldflags" -o "$dir.tmp/$cmd" "k8s.io/kubernetes/cmd/$cmd"
      done
    )
    rm -rf "$dir"; mv "$dir.tmp" "$dir"
  fi
  for cmd in kube-apiserver kube-controller-manager kubeadm; do link "$cmd" "$dir/$cmd"; done
}

command -v go >/dev/null || { log "go is missing: install Go 1.26 (https://go.dev/dl)"; exit 1; }
apt_install etcd-server openssh-server openssh-client openssl util-linux sudo git iproute2
for b in etcd sshd; do
  p=$(command -v "$b" 2>/dev/null || ls /usr/sbin/$b /usr/bin/$b 2>/dev/null | head -1)
  [ -n "$p" ] && link "$b" "$p"
done

want="${1:-all}"
case "$want" in
  all) build_pulumi; build_k8s_provider; build_kubernetes ;;
  pulumi) build_pulumi ;;
  provider) build_k8s_provider ;;
  kubernetes) build_kubernetes ;;
  *) log "unknown tool set: $want (want all, pulumi, provider or kubernetes)"; exit 2 ;;
esac
echo "$bin"
