# Routes to the other nodes' pod networks, from /etc/orbos/hostgw-routes ("POD-CIDR VIA" lines).
# Routes orbos set carry protocol 77: those the file no longer lists are removed.
routes=/etc/orbos/hostgw-routes
script=/etc/orbos/hostgw-routes.sh
cat > "$script.tmp" <<'SCRIPT'
#!/bin/bash
set -euo pipefail
routes=/etc/orbos/hostgw-routes
ip -4 route show proto 77 | while read -r dst _; do
  grep -q "^$dst " "$routes" 2>/dev/null || ip route del "$dst" proto 77
done
while read -r dst via; do
  [ -n "$dst" ] && ip route replace "$dst" via "$via" proto 77
done < "$routes"
SCRIPT
chmod 0755 "$script.tmp" && mv "$script.tmp" "$script"
# After a reboot the routes come back before the kubelet starts pods.
unit=/etc/systemd/system/orbos-hostgw-routes.service
want='[Unit]
Description=orbos hostgw routes to the other nodes pod networks
After=network-online.target
Before=kubelet.service

[Service]
Type=oneshot
ExecStart=/etc/orbos/hostgw-routes.sh

[Install]
WantedBy=multi-user.target'
if [ "$(cat "$unit" 2>/dev/null)" != "$want" ]; then
  mkdir -p /etc/systemd/system
  printf '%s\n' "$want" > "$unit"
  systemctl daemon-reload
fi
systemctl enable orbos-hostgw-routes >/dev/null 2>&1 || true
"$script"
