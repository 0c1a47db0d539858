#!/bin/bash
# The smallest stand-in for systemd on a test machine (see docs/TESTING.md): the machines share the
# test machine's kernel and its PID 1 is not systemd, so `systemctl` cannot start services. This
# script runs the units that the packages installed (containerd, kubelet with kubeadm's drop-in,
# haproxy, keepalived) from their own unit files: Environment=, EnvironmentFile=, ExecStartPre=,
# ExecStart= and Restart= are honoured, each service under a supervisor that restarts it as
# Restart= says. `systemctl reboot` stops every service, gives the machine a new boot ID and starts
# the enabled ones again: the kernel cannot be rebooted, the machine's services can.
set -uo pipefail

state=/run/orbos-systemd
enabled=/var/lib/orbos-systemd/enabled
logs=/var/log/orbos-systemd
mkdir -p "$state" "$enabled" "$logs"

unit_name() { local u=$1; u=${u%.service}; echo "$u"; }

unit_files() {
  local u=$1 d f
  for d in /usr/lib/systemd/system /lib/systemd/system /etc/systemd/system; do
    [ -f "$d/$u.service" ] && f="$d/$u.service"
  done
  [ -n "${f:-}" ] || return 1
  echo "$f"
  for d in /usr/lib/systemd/system /lib/systemd/system /etc/systemd/system; do
    for f in "$d/$u.service.d"/*.conf; do [ -f "$f" ] && echo "$f"; done
  done
  return 0
}

# directives UNIT KEY: the values of KEY in the unit and its drop-ins, in order; an empty value resets.
directives() {
  local u=$1 key=$2 f line
  local -a vals=()
  while read -r f; do
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        "$key="*) line=${line#"$key="}; if [ -z "$line" ]; then vals=(); else vals+=("$line"); fi ;;
      esac
    done <"$f"
  done < <(unit_files "$u")
  [ ${#vals[@]} -gt 0 ] && printf '%s\n' "${vals[@]}"
  return 0
}

pid_of() { cat "$state/$1.pid" 2>/dev/null; }
running() { local p; p=$(pid_of "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# supervise UNIT: the service's life: environment, pre-start commands, the main process, restarts.
supervise() {
  local u=$1 restart sec line
  restart=$(directives "$u" Restart | tail -n1)
  sec=$(directives "$u" RestartSec | tail -n1); sec=${sec%s}; [ -n "$sec" ] || sec=1
  [ "$sec" -ge 1 ] 2>/dev/null || sec=1
  [ "$sec" -le 2 ] || sec=2 # quick restarts keep tests short; the behaviour is the same
  while :; do
    (
      set -a
      while IFS= read -r line; do eval "export $line"; done < <(directives "$u" Environment)
      while IFS= read -r line; do
        line=${line#-}
        # shellcheck disable=SC1090
        [ -f "$line" ] && . "$line"
      done < <(directives "$u" EnvironmentFile)
      set +a
      while IFS= read -r line; do
        case "$line" in -*) eval "${line#-}" || true ;; *) eval "$line" || exit 1 ;; esac
      done < <(directives "$u" ExecStartPre)
      cmd=$(directives "$u" ExecStart | tail -n1)
      cmd=${cmd#[-@+!]}
      eval "exec $cmd"
    ) &
    local child=$!
    echo "$child" >"$state/$u.main"
    trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT
    wait "$child"
    local rc=$?
    echo "$(date -u +%FT%TZ) $u exited with $rc" >&2
    case "$restart" in
      always) ;;
      on-failure) [ "$rc" -ne 0 ] || break ;;
      *) break ;;
    esac
    sleep "$sec"
  done
  # The files are this supervisor's only while they name it (a restart may have replaced them).
  if [ "$(cat "$state/$u.pid" 2>/dev/null)" = "$$" ]; then rm -f "$state/$u.pid" "$state/$u.main"; fi
}

start() {
  local u=$1
  unit_files "$u" >/dev/null || { echo "Failed to start $u.service: Unit $u.service not found." >&2; return 5; }
  running "$u" && return 0
  setsid "$0" __supervise "$u" </dev/null >>"$logs/$u.log" 2>&1 9>&- &
  echo $! >"$state/$u.pid"
  # A service is "active" once its main process lives (Type=notify is not modelled).
  for _ in $(seq 1 50); do
    [ -f "$state/$u.main" ] && return 0
    sleep 0.1
  done
  return 0
}

stop() {
  local u=$1 p m
  p=$(pid_of "$u") || return 0
  m=$(cat "$state/$u.main" 2>/dev/null || true)
  kill -TERM "$p" 2>/dev/null || true
  [ -n "$m" ] && kill -TERM "$m" 2>/dev/null
  # Stopped means the main process is gone too (keepalived takes a second to leave): a start right
  # after must not find the old one still running.
  for _ in $(seq 1 100); do
    if ! kill -0 "$p" 2>/dev/null && { [ -z "$m" ] || ! kill -0 "$m" 2>/dev/null; }; then break; fi
    sleep 0.1
  done
  kill -KILL "$p" 2>/dev/null || true
  [ -n "$m" ] && kill -KILL "$m" 2>/dev/null
  rm -f "$state/$u.pid" "$state/$u.main"
  return 0
}

cmd=${1:-}
[ $# -gt 0 ] && shift
if [ "$cmd" = __supervise ]; then supervise "$1"; exit 0; fi
# One job at a time, as systemd runs them: two restarts of one unit at once would race.
exec 9>"$state/.lock"
flock 9

now=false quiet=false
units=()
for a in "$@"; do
  case "$a" in
    --now) now=true ;;
    --quiet | -q) quiet=true ;;
    --no-pager | --no-block | --system | -l | --full) ;;
    -*) ;;
    *) units+=("$(unit_name "$a")") ;;
  esac
done

rc=0
case "$cmd" in
  daemon-reload | reset-failed | mask | unmask) ;;
  enable)
    for u in "${units[@]}"; do
      touch "$enabled/$u"
      if $now; then start "$u" || rc=$?; fi
    done ;;
  disable)
    for u in "${units[@]}"; do
      rm -f "$enabled/$u"
      if $now; then stop "$u"; fi
    done ;;
  start) for u in "${units[@]}"; do start "$u" || rc=$?; done ;;
  stop) for u in "${units[@]}"; do stop "$u"; done ;;
  restart | reload-or-restart | try-restart | reload | try-reload-or-restart)
    for u in "${units[@]}"; do
      if [ "$cmd" = try-restart ] && ! running "$u"; then continue; fi
      stop "$u"; start "$u" || rc=$?
    done ;;
  is-active)
    for u in "${units[@]}"; do
      if running "$u"; then $quiet || echo active; else $quiet || echo inactive; rc=3; fi
    done ;;
  is-enabled)
    for u in "${units[@]}"; do
      if [ -f "$enabled/$u" ]; then $quiet || echo enabled; else $quiet || echo disabled; rc=1; fi
    done ;;
  status)
    for u in "${units[@]}"; do
      if running "$u"; then echo "● $u.service - active (running) since supervisor $(pid_of "$u")"; else echo "○ $u.service - inactive (dead)"; rc=3; fi
      tail -n 10 "$logs/$u.log" 2>/dev/null
    done ;;
  reboot)
    # Every service stops, the boot ID changes, the enabled services start again: what a reboot
    # means to the provider, which waits for a new boot ID and then for the node to be Ready.
    (
      sleep 1
      for f in "$state"/*.pid; do [ -e "$f" ] && stop "$(basename "$f" .pid)"; done
      if [ -w /proc/sys/kernel/random/boot_id ] || [ -f /etc/orbos-test/boot-id ]; then
        cat /proc/sys/kernel/random/uuid >"$(cat /etc/orbos-test/boot-id)"
      fi
      for f in "$enabled"/*; do [ -e "$f" ] && start "$(basename "$f")"; done
    ) </dev/null >>"$logs/reboot.log" 2>&1 &
    disown ;;
  "" | *) echo "systemctl (test-machine stand-in): unsupported command '$cmd'" >&2; rc=1 ;;
esac
exit "$rc"
