if [ ! -x /usr/sbin/keepalived ] || [ ! -x /usr/sbin/haproxy ]; then
  apt-get install -y -q keepalived haproxy
fi
# haproxy binds the VIPs even while another machine holds them.
printf 'net.ipv4.ip_nonlocal_bind = 1\n' > /etc/sysctl.d/90-orbos-lb.conf
sysctl -q -p /etc/sysctl.d/90-orbos-lb.conf
# Both files are written by separate resources; apply once both are there.
if [ ! -f "$HAPROXY_CONFIG" ] || [ ! -f "$KEEPALIVED_CONFIG" ]; then
  exit 0
fi
haproxy -c -q -f "$HAPROXY_CONFIG"
keepalived --config-test -f "$KEEPALIVED_CONFIG"
systemctl enable haproxy keepalived
systemctl reload-or-restart haproxy
systemctl reload-or-restart keepalived
