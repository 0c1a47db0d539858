# The boot ID tells the caller when the machine is back from this reboot. The reboot is scheduled
# after this session ends, so that the answer gets out.
cat /proc/sys/kernel/random/boot_id
nohup sh -c 'sleep 2; systemctl reboot' </dev/null >/dev/null 2>&1 &
