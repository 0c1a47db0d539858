export KUBECONFIG=/etc/kubernetes/admin.conf
{{template "kubectl-retry" .}}
for label in "${LABELS[@]}"; do
  kubectl_retry label node "$NODE_NAME" --overwrite "$label"
done
for key in "${REMOVE_LABELS[@]}"; do
  kubectl_retry label node "$NODE_NAME" "$key-"
done
for taint in "${TAINTS[@]}"; do
  kubectl_retry taint node "$NODE_NAME" --overwrite "$taint"
done
for taint in "${REMOVE_TAINTS[@]}"; do
  kubectl taint node "$NODE_NAME" "$taint-" || true
done
