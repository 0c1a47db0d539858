#!/usr/bin/env bash
# make test: every test tier. The real clusters (test/e2e's TestRealCluster*: minutes of machines
# installing, joining and waiting) run beside all the other packages' tests, so the wall time is the
# longer of the two rather than their sum. Their log is printed when both are done; a failure in
# either fails the whole.
set -uo pipefail
GO=${GO:-go}
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
start=$SECONDS
$GO test -count=1 -timeout 45m -v -run '^TestRealCluster' ./test/e2e/ >"$logdir/real.log" 2>&1 &
real=$!
$GO test -count=1 -timeout 60m -skip '^TestRealCluster' ./...
rest=$?
echo "test: every package but the real clusters: exit $rest after $((SECONDS - start)) s; waiting for the real clusters"
wait "$real"
realrc=$?
echo "--- the real clusters (go test -v -run '^TestRealCluster' ./test/e2e/): exit $realrc after $((SECONDS - start)) s"
if [ "$realrc" -ne 0 ]; then
  cat "$logdir/real.log"
else
  grep -E '^(--- |ok|PASS)|exit [0-9]+ in [0-9.]+s$|applied the pushed label' "$logdir/real.log"
fi
[ "$rest" -eq 0 ] && [ "$realrc" -eq 0 ]
