{{template "header" (printf "load balancer on %s" .Machine)}}
if [ ! -x /usr/sbin/keepalived ] || [ ! -x /usr/sbin/haproxy ]; then
  apt-get install -y -q keepalived haproxy
fi
# haproxy binds the VIPs even while another machine holds them.
printf 'net.ipv4.ip_nonlocal_bind = 1\n' > /etc/sysctl.d/90-orbos-lb.conf
sysctl -q -p /etc/sysctl.d/90-orbos-lb.conf
# Both files are written by separate resources; apply once both are there.
if [ ! -f {{q "/etc/haproxy/haproxy.cfg"}} ] || [ ! -f {{q "/etc/keepalived/keepalived.conf"}} ]; then
  exit 0
fi
haproxy -c -q -f {{q "/etc/haproxy/haproxy.cfg"}}
keepalived --config-test -f {{q "/etc/keepalived/keepalived.conf"}}
systemctl enable haproxy keepalived
systemctl reload-or-restart haproxy
systemctl reload-or-restart keepalived
