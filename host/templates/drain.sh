export KUBECONFIG=/etc/kubernetes/admin.conf
kubectl cordon "$NODE_NAME"
# Evictions honour PodDisruptionBudgets; a budget that never allows one fails the drain after the timeout.
kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout=600s
