#!/usr/bin/env bash
# The local default of orbos's main job: an ORB whose repository is a local bare Git remote and whose
# cluster is a local kube-apiserver (with etcd) on loopback. Creates them on the first run, then
# previews and converges the ORB and shows its status and history. Run it again to see a no-op run.
#   ORBOS_DEMO  where everything lives (default: $HOME/.cache/orbos/demo)
set -euo pipefail
cd "$(dirname "$0")/.."

demo="${ORBOS_DEMO:-$HOME/.cache/orbos/demo}"
mkdir -p "$demo"
export ORBOS_CONFIG="$demo/orbconfig" ORBOS_CHECKOUT="$demo/checkout" PULUMI_HOME="$demo/pulumi-home"
orbctl=./bin/orbctl
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "local cluster (etcd + kube-apiserver + kube-controller-manager on loopback)"
if [ -s "$demo/apiserver/pids" ] && kill -0 "$(head -1 "$demo/apiserver/pids")" 2>/dev/null; then
  kubeconfig="$demo/apiserver/kubeconfig"
  echo "already running; kubeconfig $kubeconfig"
  fresh_cluster=no
else
  kubeconfig=$(go run ./hack/localcluster start "$demo/apiserver")
  echo "kubeconfig $kubeconfig"
  fresh_cluster=yes
fi

if [ ! -f "$ORBOS_CONFIG" ]; then
  step "orbctl init: a new ORB in the bare repository $demo/orb-demo.git"
  rm -rf "$demo/orb-demo.git" "$ORBOS_CHECKOUT"
  git init -q --bare -b main "$demo/orb-demo.git"
  $orbctl init --orb demo --repo "$demo/orb-demo.git" --kubeconfig "$kubeconfig"
elif [ "$fresh_cluster" = yes ]; then
  step "orbctl config set --secret orbos:kubeconfig: the local cluster was restarted with new credentials"
  $orbctl config set --secret orbos:kubeconfig --from-file "$kubeconfig"
  # The old cluster's objects are gone with it; tell the state so.
  $orbctl refresh
fi

step "orbctl preview"
$orbctl preview
step "orbctl up"
$orbctl up --yes
step "orbctl status"
$orbctl status
step "orbctl history"
$orbctl history -n 10

cat <<EOT

The ORB's repository is $demo/orb-demo.git; clone it to read Pulumi.demo.yaml, .pulumi/ and status/.
Go on by hand with:
  export ORBOS_CONFIG=$ORBOS_CONFIG ORBOS_CHECKOUT=$ORBOS_CHECKOUT PULUMI_HOME=$PULUMI_HOME
  $orbctl config set orbos:orbiter.kubernetes.version v1.31.5 && $orbctl preview && $orbctl up --yes
Stop the local cluster with: go run ./hack/localcluster stop $demo/apiserver
EOT
