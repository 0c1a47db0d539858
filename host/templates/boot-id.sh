echo "bootID=$(cat /proc/sys/kernel/random/boot_id)"
echo "kubelet=$(systemctl is-active kubelet 2>/dev/null || true)"
