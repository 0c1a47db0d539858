export KUBECONFIG=/etc/kubernetes/admin.conf
kubectl uncordon "$NODE_NAME"
kubectl wait --for=condition=Ready --timeout=300s "node/$NODE_NAME"
