{{define "header"}}#!/bin/bash
# step: {{.}}
# Rendered by orbos. Idempotent: every step checks before it changes something.
set -euo pipefail
trap 'echo "orbos: \"$BASH_COMMAND\" failed (line $LINENO)" >&2' ERR
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C
{{end}}
