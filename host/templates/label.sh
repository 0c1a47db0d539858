{{template "header" (printf "labels and taints of %s" .Name)}}
export KUBECONFIG=/etc/kubernetes/admin.conf
{{- range .SortedLabels}}
kubectl label node {{q $.Name}} --overwrite {{q (printf "%s=%s" .Key .Value)}}
{{- end}}
{{- range .RemoveLabels}}
kubectl label node {{q $.Name}} {{q (printf "%s-" .)}}
{{- end}}
{{- range .Taints}}
kubectl taint node {{q $.Name}} --overwrite {{if .Value}}{{q (printf "%s=%s:%s" .Key .Value .Effect)}}{{else}}{{q (printf "%s:%s" .Key .Effect)}}{{end}}
{{- end}}
{{- range .RemoveTaints}}
kubectl taint node {{q $.Name}} {{q (printf "%s:%s-" .Key .Effect)}} || true
{{- end}}
true
