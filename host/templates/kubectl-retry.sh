{{define "kubectl-retry"}}
# The API answers through the load balancer while the control planes restart one by one (an
# upgrade): an API server that has just started refuses or denies requests until it is ready. A
# call that fails is tried again until a minute has passed since the first try.
kubectl_retry() {
  local start=$SECONDS
  until kubectl "$@"; do
    if [ $((SECONDS - start)) -ge 60 ]; then
      echo "orbos: kubectl $1 kept failing for a minute" >&2
      return 1
    fi
    echo "orbos: kubectl $1 failed, trying again" >&2
    sleep 2
  done
}
{{end}}
