mkdir -p "$SNAPSHOT_DIR"
snapshot="$SNAPSHOT_DIR/$SNAPSHOT_TAG.db"
ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 \
  --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key \
  snapshot save "$snapshot" >/dev/null
chmod 600 "$snapshot"
echo "$snapshot"
