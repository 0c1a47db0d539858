export KUBECONFIG=/etc/kubernetes/admin.conf
kubectl delete node "$NODE_NAME" --ignore-not-found --wait=false
