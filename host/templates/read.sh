v() { "$@" 2>/dev/null | head -n1 || true; }
echo "kubeadm=$(v kubeadm version -o short)"
echo "kubelet=$(v kubelet --version | sed 's/^Kubernetes //')"
echo "kubectl=$(v kubectl version --client | sed -n 's/^Client Version: //p')"
echo "containerd=$(v containerd --version | awk '{print $3}')"
echo "kubeletActive=$(systemctl is-active kubelet 2>/dev/null || true)"
if [ -n "$(tail -n +2 /proc/swaps 2>/dev/null)" ]; then echo "swap=on"; else echo "swap=off"; fi
echo "modules=$(tr '\n' ',' < /etc/modules-load.d/orbos.conf 2>/dev/null || true)"
echo "sysctls=$(sha256sum /etc/sysctl.d/90-orbos.conf 2>/dev/null | cut -c1-16 || true)"
cgroup=other
if grep -q 'SystemdCgroup = true' /etc/containerd/config.toml 2>/dev/null; then cgroup=systemd
elif grep -q 'SystemdCgroup = false' /etc/containerd/config.toml 2>/dev/null; then cgroup=cgroupfs; fi
echo "cgroup=$cgroup"
if [ -f /etc/kubernetes/kubelet.conf ]; then
  echo "joined=true"
  echo "podCIDR=$(kubectl --kubeconfig /etc/kubernetes/kubelet.conf --request-timeout=10s get node "$NODE_NAME" -o 'jsonpath={.spec.podCIDR}' 2>/dev/null || true)"
else
  echo "joined=false"
fi
if [ -f /etc/kubernetes/manifests/kube-apiserver.yaml ] || [ -f /etc/kubernetes/admin.conf ]; then echo "controlPlane=true"; else echo "controlPlane=false"; fi
if [ -f /etc/kubernetes/pki/apiserver.crt ]; then
  echo "apiserverCertExpiry=$(date -u -d "$(openssl x509 -enddate -noout -in /etc/kubernetes/pki/apiserver.crt | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)"
fi
if [ -f /etc/kubernetes/pki/ca.crt ]; then
  echo "caCertExpiry=$(date -u -d "$(openssl x509 -enddate -noout -in /etc/kubernetes/pki/ca.crt | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)"
fi
{{- if .Init}}
# The admin kubeconfig, so that one session reads all (the provider keeps it as a secret).
if [ -f /etc/kubernetes/admin.conf ]; then echo "adminKubeconfig=$(base64 -w0 /etc/kubernetes/admin.conf)"; fi
{{- end}}
