export KUBECONFIG=/etc/kubernetes/admin.conf
{{template "kubectl-retry" .}}
kubectl_retry uncordon "$NODE_NAME"
kubectl_retry wait --for=condition=Ready --timeout=300s "node/$NODE_NAME"
