# etcdctl comes with no kubeadm package: the distribution's etcd-client brings it (the v3 API's
# snapshot save works against any etcd 3.4 or newer).
if ! command -v etcdctl >/dev/null 2>&1; then
  apt-get update -q
  apt-get install -y -q etcd-client
fi
mkdir -p "$SNAPSHOT_DIR"
snapshot="$SNAPSHOT_DIR/$SNAPSHOT_TAG.db"
ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 \
  --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key \
  snapshot save "$snapshot" >/dev/null
chmod 600 "$snapshot"
echo "$snapshot"
