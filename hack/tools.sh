#!/usr/bin/env bash
# Builds or installs every tool orbos's tests and demo need, offline (Go module proxy + Debian packages only).
# Results are cached outside the clone, keyed by version, so a second run takes seconds.
#   ORBOS_TOOLS  cache root (default: $HOME/.cache/orbos/tools)
# Prints nothing but progress; the last line is the bin directory to put on PATH.
#
# Tool sets (first argument, default all):
#   all              pulumi, provider and cluster
#   pulumi           the Pulumi CLI
#   provider         the Pulumi kubernetes provider plugin
#   kubernetes       kubeadm, kubelet, kubectl and the control plane binaries of KUBERNETES_VERSION
#   cluster          kubernetes plus what a real kubeadm cluster of that version runs: etcd, CoreDNS,
#                    pause, their container images and .deb packages of kubeadm, kubelet, kubectl
#   kubernetes-next  the cluster set of KUBERNETES_NEXT_VERSION (the upgrade target), not in all
#
# Cache layout under the root (each directory is complete or absent: built in DIR.tmp, then renamed):
#   kubernetes-vX.Y.Z/   kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy
#   etcd-vX.Y.Z/etcd  coredns-vX.Y.Z/coredns  pause-HASH/pause
#   images-vX.Y.Z/       one docker-archive per image (NAME.tar), named as that kubeadm lists them
#   debs-vX.Y.Z/         kubeadm, kubelet, kubectl .debs and a flat apt repository (Packages, Release)
#   bin/                 links to the KUBERNETES_VERSION binaries and the other tools
set -euo pipefail

PULUMI_VERSION=v3.274.1
K8S_PROVIDER_VERSION=4.25.0
K8S_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
KUBERNETES_VERSION=v1.31.4
KUBERNETES_STAGING_VERSION=v0.31.4
# The newest v1.32 patch whose staging modules the Go module proxy serves whole: v1.32.10 lacks the zips of
# cluster-bootstrap, externaljwt, kube-aggregator and others; only sample-apiserver (never built) is missing for
# v1.32.9. Its kubeadm wants etcd 3.5.16-0, coredns v1.11.3, pause 3.10.
KUBERNETES_NEXT_VERSION=v1.32.9
KUBERNETES_NEXT_STAGING_VERSION=v0.32.9
KUBERNETES_COMMANDS="kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy"
# Bump when the kubernetes recipe changes, so an older build is rebuilt.
KUBERNETES_RECIPE="static-1: $KUBERNETES_COMMANDS"

# Static binaries: the images have no libc, and every build shares one build cache.
export CGO_ENABLED=0

root="${ORBOS_TOOLS:-$HOME/.cache/orbos/tools}"
bin="$root/bin"
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root" "$bin"
# One build at a time per cache: a second clone, worktree or CI run on this machine waits for the first
# and then finds its results, instead of building the same directories beside it.
exec 9>"$root/.lock"
if ! flock -n 9; then
  printf 'tools: waiting for another build of %s to finish\n' "$root" >&2
  flock 9
fi
log() { printf 'tools: %s\n' "$*" >&2; }

# link NAME TARGET: expose a cached, versioned binary under bin/.
link() { ln -sfn "$2" "$bin/$1"; }

# timed WHAT CMD...: runs CMD and logs its wall time (the README's build times come from these lines).
timed() {
  local what=$1 start=$SECONDS; shift
  "$@"
  log "$what took $((SECONDS - start)) s"
}

# finish DIR: publish DIR.tmp as DIR.
finish() { rm -rf "$1"; mv "$1.tmp" "$1"; }

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
  # Post-install scripts (etcd-server, containerd, haproxy...) try to start services, which is refused here; that is harmless.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# mod_dir MODULE@VERSION: the module's directory in the module cache.
mod_dir() { go mod download -json "$1" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p'; }

build_pulumi() {
  local dir="$root/pulumi-$PULUMI_VERSION"
  if [ ! -x "$dir/pulumi" ]; then
    log "building the Pulumi CLI $PULUMI_VERSION from source (about 4 min)"
    local src; src=$(mktemp -d); trap 'rm -rf "$src"; trap - RETURN' RETURN
    (
      cd "$src"
      go mod init orbos.tools/pulumi >/dev/null 2>&1
      go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" >/dev/null 2>&1
      mkdir -p "$dir.tmp"
      go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
        -o "$dir.tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    )
    finish "$dir"
  fi
  link pulumi "$dir/pulumi"
}

build_k8s_provider() {
  local dir="$root/pulumi-resource-kubernetes-$K8S_PROVIDER_VERSION"
  if [ ! -x "$dir/pulumi-resource-kubernetes" ]; then
    log "building the Pulumi kubernetes provider $K8S_PROVIDER_VERSION from source (about 6 min)"
    local work; work=$(mktemp -d); trap 'rm -rf "$work"; trap - RETURN' RETURN
    (
      cd "$work"
      go mod init orbos.tools/fetch >/dev/null 2>&1
      modir=$(mod_dir "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_MODULE_VERSION")
      cp -r "$modir" provider && chmod -R u+w provider
      cd provider
      go mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 -require "github.com/pulumi/pulumi-kubernetes/sdk/v4@v$K8S_PROVIDER_VERSION"
      go mod tidy >/dev/null 2>&1
      (cd cmd/pulumi-resource-kubernetes && VERSION=$K8S_PROVIDER_VERSION go run generate.go >/dev/null)
      mkdir -p "$dir.tmp"
      go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_VERSION" \
        -o "$dir.tmp/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes
    )
    finish "$dir"
  fi
  link pulumi-resource-kubernetes "$dir/pulumi-resource-kubernetes"
}

# build_kubernetes VERSION STAGING_VERSION: every command a kubeadm cluster runs, in one go build.
build_kubernetes() {
  local version=$1 staging=$2 dir="$root/kubernetes-$1"
  if [ "$(cat "$dir/.recipe" 2>/dev/null)" != "$KUBERNETES_RECIPE" ]; then
    log "building $KUBERNETES_COMMANDS $version from source (about 9 min)"
    local work; work=$(mktemp -d); trap 'rm -rf "$work"; trap - RETURN' RETURN
    (
      cd "$work"
      go mod init orbos.tools/kubernetes >/dev/null 2>&1
      gomod=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
      # k8s.io/kubernetes requires each staging module as v0.0.0 and replaces it with ./staging/...;
      # point the required ones at the published versions (some sample-* modules are not served).
      for m in $(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) v0\.0\.0$#\1#p' "$gomod"); do
        go mod edit -replace "$m=$m@$staging"
      done
      pkgs=()
      for cmd in $KUBERNETES_COMMANDS; do pkgs+=("k8s.io/kubernetes/cmd/$cmd@$version"); done
      go get "${pkgs[@]}" >get.log 2>&1 || { tail -20 get.log >&2; exit 1; }
      v=k8s.io/component-base/version minor=${version#v1.}; minor=${minor%%.*}
      ldflags="-s -w -X $v.gitVersion=$version -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
      rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
      go build -trimpath -ldflags "$ldflags" -o "$dir.tmp/" "${pkgs[@]%@*}"
      echo "$KUBERNETES_RECIPE" >"$dir.tmp/.recipe"
    )
    finish "$dir"
  fi
}

# kubeadm_image VERSION NAME: the tag kubeadm VERSION wants for image NAME (etcd, coredns, pause).
kubeadm_image() {
  "$root/kubernetes-$1/kubeadm" config images list --kubernetes-version "$1" 2>/dev/null |
    sed -n "s#.*/$2:\(.*\)#\1#p"
}

# build_etcd VERSION: etcd's server module has ../ replaces, so `go install` is refused; build a copy without them.
build_etcd() {
  local version=$1 dir="$root/etcd-$1"
  if [ ! -x "$dir/etcd" ]; then
    log "building etcd $version from source (about 1 min)"
    local work; work=$(mktemp -d); trap 'rm -rf "$work"; trap - RETURN' RETURN
    (
      cd "$work"
      go mod init orbos.tools/fetch >/dev/null 2>&1
      cp -r "$(mod_dir "go.etcd.io/etcd/server/v3@$version")" server && chmod -R u+w server
      cd server
      for m in api/v3 client/pkg/v3 client/v2 client/v3 pkg/v3 raft/v3; do go mod edit -dropreplace "go.etcd.io/etcd/$m"; done
      rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
      GOFLAGS="-mod=mod ${GOFLAGS:-}" go build -trimpath -ldflags "-s -w" -o "$dir.tmp/etcd" .
    )
    finish "$dir"
  fi
}

build_coredns() {
  local version=$1 dir="$root/coredns-$1"
  if [ ! -x "$dir/coredns" ]; then
    log "building CoreDNS $version from source (about 2 min)"
    rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
    GOBIN="$dir.tmp" go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$version"
    finish "$dir"
  fi
}

# sources_key PATH...: a key of the repository sources an artifact is built from (rebuilt when they change).
sources_key() { (cd "$repo" && find "$@" -type f -name '*.go' ! -name '*_test.go' | sort | xargs cat go.mod | sha256sum | cut -c1-16); }

build_pause() {
  local dir; dir="$root/pause-$(sources_key hack/pause)"
  if [ ! -x "$dir/pause" ]; then
    rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
    (cd "$repo" && go build -trimpath -ldflags "-s -w" -o "$dir.tmp/pause" ./hack/pause)
    finish "$dir"
  fi
  pause_dir=$dir
}

# build_images VERSION: the container images of a kubeadm cluster of that version.
build_images() {
  local version=$1 dir="$root/images-$1" etcd=$2 coredns=$3 key
  key="$(sources_key hack/images internal/imagebuild) $(cat "$root/kubernetes-$version/.recipe") etcd-$etcd coredns-$coredns $pause_dir $(dpkg-query -W -f='${Version}' iptables conntrack)"
  if [ "$(cat "$dir/.key" 2>/dev/null)" != "$key" ]; then
    log "writing the container images of Kubernetes $version"
    rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
    (cd "$repo" && go run ./hack/images -kubernetes "$root/kubernetes-$version" -etcd "$root/etcd-$etcd/etcd" \
      -coredns "$root/coredns-$coredns/coredns" -pause "$pause_dir/pause" -out "$dir.tmp")
    echo "$key" >"$dir.tmp/.key"
    finish "$dir"
  fi
}

# build_debs VERSION: kubeadm, kubelet and kubectl .debs and their apt repository.
build_debs() {
  local version=$1 dir="$root/debs-$1" key
  key="$(sources_key hack/debs internal/debrepo) $(cat "$root/kubernetes-$version/.recipe")"
  if [ "$(cat "$dir/.key" 2>/dev/null)" != "$key" ]; then
    log "packaging kubeadm, kubelet and kubectl $version"
    rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
    (cd "$repo" && go run ./hack/debs -kubernetes "$root/kubernetes-$version" -version "$version" -out "$dir.tmp")
    echo "$key" >"$dir.tmp/.key"
    finish "$dir"
  fi
}

# build_cluster VERSION STAGING_VERSION: everything a real kubeadm cluster of that version needs.
build_cluster() {
  local version=$1 etcd coredns pause
  timed "kubernetes $version" build_kubernetes "$1" "$2"
  etcd=$(kubeadm_image "$version" etcd) coredns=$(kubeadm_image "$version" coredns) pause=$(kubeadm_image "$version" pause)
  [ -n "$etcd" ] && [ -n "$coredns" ] && [ -n "$pause" ] || { log "kubeadm $version lists no etcd, coredns or pause image"; exit 1; }
  log "kubeadm $version wants etcd $etcd, coredns $coredns, pause $pause"
  # etcd's image tag is VERSION-N (an image revision); the source is tagged vVERSION.
  etcd=v${etcd%-*}
  timed "etcd $etcd" build_etcd "$etcd"
  timed "coredns $coredns" build_coredns "$coredns"
  timed "pause" build_pause
  timed "images $version" build_images "$version" "$etcd" "$coredns"
  timed "debs $version" build_debs "$version"
}

link_kubernetes() {
  for cmd in kube-apiserver kube-controller-manager kubeadm kubectl kubelet; do link "$cmd" "$root/kubernetes-$KUBERNETES_VERSION/$cmd"; done
}

command -v go >/dev/null || { log "go is missing: install Go 1.26 (https://go.dev/dl)"; exit 1; }
apt_install etcd-server openssh-server openssh-client openssl util-linux sudo git iproute2 ca-certificates chromium
for b in etcd sshd; do
  p=$(command -v "$b" 2>/dev/null || ls /usr/sbin/$b /usr/bin/$b 2>/dev/null | head -1)
  [ -n "$p" ] && link "$b" "$p"
done

cluster_packages() {
  # A real cluster's nodes: container runtime, CNI plugins, kube-proxy's and kubeadm's host tools,
  # the control plane VIP, a registry and copier for the images, etcdctl (the etcd snapshot before
  # an upgrade), and curl (the tests ask a cluster's Services from a node).
  apt_install containerd runc containernetworking-plugins iptables conntrack socat ebtables ethtool kmod \
    haproxy keepalived docker-registry skopeo etcd-client curl
}

want="${1:-all}"
case "$want" in
  all) timed pulumi build_pulumi; timed provider build_k8s_provider
    cluster_packages; build_cluster "$KUBERNETES_VERSION" "$KUBERNETES_STAGING_VERSION"; link_kubernetes ;;
  pulumi) timed pulumi build_pulumi ;;
  provider) timed provider build_k8s_provider ;;
  kubernetes) timed "kubernetes $KUBERNETES_VERSION" build_kubernetes "$KUBERNETES_VERSION" "$KUBERNETES_STAGING_VERSION"; link_kubernetes ;;
  cluster) cluster_packages; build_cluster "$KUBERNETES_VERSION" "$KUBERNETES_STAGING_VERSION"; link_kubernetes ;;
  kubernetes-next) cluster_packages; build_cluster "$KUBERNETES_NEXT_VERSION" "$KUBERNETES_NEXT_STAGING_VERSION" ;;
  *) log "unknown tool set: $want (want all, pulumi, provider, kubernetes, cluster or kubernetes-next)"; exit 2 ;;
esac
echo "$bin"
