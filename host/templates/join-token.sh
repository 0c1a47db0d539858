kubeadm token create --ttl 30m --description 'orbos join'
openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | sha256sum | sed 's/^\([0-9a-f]*\).*/sha256:\1/'
{{- if .ControlPlane}}
key=$(kubeadm certs certificate-key)
kubeadm init phase upload-certs --upload-certs --certificate-key "$key" >/dev/null
echo "$key"
{{- end}}
