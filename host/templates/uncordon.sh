{{template "header" (printf "uncordon %s" .Name)}}
export KUBECONFIG=/etc/kubernetes/admin.conf
kubectl uncordon {{q .Name}}
kubectl wait --for=condition=Ready --timeout=300s node/{{.Name}}
