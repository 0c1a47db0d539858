{{template "header" (printf "drain %s" .Name)}}
export KUBECONFIG=/etc/kubernetes/admin.conf
kubectl cordon {{q .Name}}
# Evictions honour PodDisruptionBudgets; a budget that never allows one fails the drain after the timeout.
kubectl drain {{q .Name}} --ignore-daemonsets --delete-emptydir-data --timeout=600s
