{{define "hostgw-cni"}}# The CNI: hostgw. A bridge with this node's pod CIDR (allocated by the controller-manager);
# the other nodes' pod networks are reached by routes that orbos keeps in /etc/orbos/hostgw-routes.
cidr=""
for _ in $(seq 1 120); do
  cidr=$(kubectl --kubeconfig /etc/kubernetes/kubelet.conf get node "$NODE_NAME" -o 'jsonpath={.spec.podCIDR}' 2>/dev/null || true)
  [ -n "$cidr" ] && break
  sleep 1
done
if [ -z "$cidr" ]; then
  echo "orbos: node $NODE_NAME got no pod CIDR in 120 s (does the controller-manager allocate node CIDRs?)" >&2
  exit 1
fi
for plugin in bridge host-local portmap loopback; do
  if [ ! -x "/opt/cni/bin/$plugin" ]; then
    if [ -x "/usr/lib/cni/$plugin" ]; then
      mkdir -p /opt/cni/bin && ln -sf "/usr/lib/cni/$plugin" "/opt/cni/bin/$plugin"
    else
      echo "orbos: the CNI plugin $plugin is missing: install containernetworking-plugins" >&2
      exit 1
    fi
  fi
done
conf=$(printf '{"cniVersion":"0.4.0","name":"orbos-hostgw","plugins":[{"type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":false,"hairpinMode":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"%s"}]],"routes":[{"dst":"0.0.0.0/0"}]}},{"type":"portmap","capabilities":{"portMappings":true}}]}' "$cidr")
mkdir -p /etc/cni/net.d
if [ "$(cat /etc/cni/net.d/10-orbos-hostgw.conflist 2>/dev/null)" != "$conf" ]; then
  printf '%s\n' "$conf" > /etc/cni/net.d/.orbos-hostgw.tmp
  mv /etc/cni/net.d/.orbos-hostgw.tmp /etc/cni/net.d/10-orbos-hostgw.conflist
fi
# Pods reach what is outside the cluster's pod network through the node's address.
if ! iptables -w -t nat -C POSTROUTING -s "$cidr" ! -d "$POD_CIDR" -m comment --comment orbos-hostgw -j MASQUERADE 2>/dev/null; then
  iptables -w -t nat -A POSTROUTING -s "$cidr" ! -d "$POD_CIDR" -m comment --comment orbos-hostgw -j MASQUERADE
fi
{{end}}
