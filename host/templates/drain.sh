export KUBECONFIG=/etc/kubernetes/admin.conf
{{template "kubectl-retry" .}}
kubectl_retry cordon "$NODE_NAME"
# Evictions honour PodDisruptionBudgets; a budget that never allows one fails the drain after the timeout.
kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout=600s
