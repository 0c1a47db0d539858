{{template "header" (printf "delete the node object %s" .Name)}}
export KUBECONFIG=/etc/kubernetes/admin.conf
kubectl delete node {{q .Name}} --ignore-not-found --wait=false
