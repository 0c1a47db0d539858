#!/usr/bin/env bash
# The local default of orbos's main job: a real Kubernetes cluster that orbctl makes with kubeadm on
# local machines, each a network, mount and UTS namespace of its own reached over SSH, that get
# kubeadm, kubelet and kubectl from a package repository and every image from a registry on their
# own network (nothing leaves this machine). Creates the machines and the ORB on the first run, then
# converges it, shows the nodes and runs a workload across them. Run it again: nothing changes.
#   ORBOS_DEMO        where everything lives (default: $HOME/.cache/orbos/demo)
#   ORBOS_DEMO_NODES  control planes + workers: 1+1 (default), or 3+N (then a load-balancer machine
#                     with keepalived and haproxy serves the API on a VIP)
# `make demo-down` removes the machines and everything they made.
set -euo pipefail
cd "$(dirname "$0")/.."

demo="${ORBOS_DEMO:-$HOME/.cache/orbos/demo}"
nodes="${ORBOS_DEMO_NODES:-1+1}"
mkdir -p "$demo"
export ORBOS_CONFIG="$demo/orbconfig" ORBOS_CHECKOUT="$demo/checkout" PULUMI_HOME="$demo/pulumi-home"
orbctl=$PWD/bin/orbctl
machines=$demo/machines
tools=$(bash hack/tools.sh 2>/dev/null | tail -n1)
kubectl() { "$tools/kubectl" --kubeconfig "$demo/admin.conf" "$@"; }
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

case "$nodes" in
  1+[0-9]*) cps=1 ;;
  3+[0-9]*) cps=3 ;;
  *) echo "ORBOS_DEMO_NODES must be 1+N or 3+N, not $nodes" >&2; exit 2 ;;
esac
workers=${nodes#*+}
go build -o "$demo/machines-cmd" ./hack/machines

step "machines: $cps control plane(s), $workers worker(s)"
if [ -f "$machines/network.json" ]; then
  echo "already up: $machines (make demo-down removes them)"
else
  names=()
  for i in $(seq 1 "$cps"); do names+=("cp-$i"); done
  for i in $(seq 1 "$workers"); do names+=("w-$i"); done
  [ "$cps" -gt 1 ] && names+=(lb-1)
  "$demo/machines-cmd" up "$machines" "${names[@]}" | sed -n 's/.*"name": "\(.*\)",/  \1/p'
fi

step "package repository and registry on the machines' network"
if [ -f "$machines/serve.pid" ] && kill -0 "$(cat "$machines/serve.pid")" 2>/dev/null; then
  echo "already serving"
else
  rm -f "$machines/sources.yaml"
  nohup "$demo/machines-cmd" serve "$machines" >"$machines/serve.log" 2>&1 &
  for _ in $(seq 1 300); do [ -f "$machines/serve.pid" ] && break; kill -0 $! 2>/dev/null || break; sleep 1; done
  [ -f "$machines/serve.pid" ] || { cat "$machines/serve.log" >&2; exit 1; }
  tail -n1 "$machines/serve.log"
fi

if [ ! -f "$ORBOS_CONFIG" ]; then
  step "orbctl init: a new ORB in the bare repository $demo/orb-demo.git"
  rm -rf "$demo/orb-demo.git" "$ORBOS_CHECKOUT"
  git init -q --bare -b main "$demo/orb-demo.git"
  "$orbctl" init --orb demo --repo "$demo/orb-demo.git"
fi

# The desired state names the machines, the package repository and the registry: written once, as
# a user would, by a commit to the ORB's repository.
spec=$(mktemp -d)
trap 'rm -rf "$spec"' EXIT
git clone -q "$demo/orb-demo.git" "$spec/orb"
file="$spec/orb/Pulumi.demo.yaml"
if ! grep -q '^    providers:' "$file" || ! grep -qF "$(sed -n 's/^        imageRepository: //p' "$machines/sources.yaml")" "$file"; then
  step "the desired state: the machines, $cps control plane(s), the ORB's package repository and registry"
  awk -v providers="$machines/providers.yaml" -v sources="$machines/sources.yaml" -v cps="$cps" '
    /^    providers:/ { skip = 1; next }                       # an earlier run'"'"'s machines
    skip && /^    [a-z]/ && !/^    (providers|loadBalancing):/ { skip = 0 }
    /^    loadBalancing:/ { skip = 1; next }
    skip { next }
    /^      (controlPlane|workers|networking|cgroupDriver|sharedKernel|ignorePreflightErrors|kubelet|sources):/ { ks = 1; next }
    ks && /^      [a-z]/ { ks = 0 }
    ks && /^       / { next }
    /^    kubernetes:/ { while ((getline l < providers) > 0) print l }
    { print }
    /^      namespace:/ {
      printf "      controlPlane: {pool: control, nodes: %d}\n      workers: [{pool: workers}]\n", cps
      while ((getline l < sources) > 0) print l
    }' "$file" > "$file.new"
  mv "$file.new" "$file"
  git -C "$spec/orb" -c user.name=demo -c user.email=demo@localhost commit -qam "demo: the local machines, the package repository and the registry"
  git -C "$spec/orb" push -q origin main
fi

if ! "$orbctl" secrets list 2>/dev/null | grep -q 'orbos:sshKey'; then
  step "orbctl config set --secret orbos:sshKey: the machines' login key"
  "$orbctl" config set --secret orbos:sshKey --from-file "$machines/id_ed25519"
fi

step "orbctl preview"
"$orbctl" preview
step "orbctl up"
"$orbctl" up --yes
step "orbctl kubeconfig, kubectl get nodes -o wide"
"$orbctl" kubeconfig --file "$demo/admin.conf"
kubectl get nodes -o wide

step "a workload on every node, reaching each other and a Service by DNS"
n=$((cps + workers))
sed -e "s|IMAGE|$(cat "$machines/smoke-image")|" -e "s|REPLICAS|$n|" hack/smoke.yaml | kubectl apply -f - >/dev/null
kubectl -n default rollout status deployment/smoke --timeout=180s
pods=$(kubectl -n default get pods -l app=smoke -o jsonpath='{range .items[*]}{.metadata.name}={.status.podIP}@{.spec.nodeName} {end}')
first=${pods%% *}
# get URL from the first pod; a node that has just joined may need a few seconds before its
# kube-proxy knows the Service's endpoints: try for 30 s, then fail the demo.
get() {
  local out i
  for i in $(seq 1 15); do
    if out=$(kubectl -n default exec "${first%%=*}" -- /smoke get "$1" 2>&1); then
      echo "$out"
      return 0
    fi
    sleep 2
  done
  echo "demo: ${first%%=*} could not reach $1: $out" >&2
  return 1
}
for p in $pods; do
  target="http://${p#*=}"; target="${target%@*}:8080/"
  answer=$(get "$target")
  printf '  %s -> pod on %-5s %s\n' "${first%%=*}" "${p##*@}" "$answer"
done
answer=$(get http://smoke.default.svc.cluster.local/)
printf '  %s -> Service smoke.default.svc: %s\n' "${first%%=*}" "$answer"

step "orbctl status"
"$orbctl" status

cat <<EOT

The ORB's repository is $demo/orb-demo.git; its cluster's admin kubeconfig is $demo/admin.conf.
Go on by hand with:
  export ORBOS_CONFIG=$ORBOS_CONFIG ORBOS_CHECKOUT=$ORBOS_CHECKOUT PULUMI_HOME=$PULUMI_HOME
  $orbctl node list; $orbctl node exec w-1 -- systemctl is-active kubelet; $orbctl history
Remove everything with: make demo-down
EOT
