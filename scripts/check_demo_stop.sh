#!/usr/bin/env bash
# Check that `make demo` stops cleanly when its whole process group gets SIGTERM (as a supervisor or a
# terminal closing does): start scripts/demo.sh in a session of its own on a scratch SQLite database,
# wait until the API answers, `kill -TERM -PGID`, and fail if the script, the web server or any
# qcluster process is still there after 30 s.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="$(mktemp -d)"
port="${PORT:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
log="$scratch/demo.log"
DATABASE_URL="sqlite:///$scratch/demo.sqlite3" PORT="$port" setsid scripts/demo.sh >"$log" 2>&1 </dev/null &
demo=$!
cleanup() { kill -KILL -- "-$demo" 2>/dev/null || true; rm -rf "$scratch"; }
trap cleanup EXIT

for _ in $(seq 1 300); do  # up to 5 minutes for setup, migrate and seed_demo
  if .venv/bin/python - "http://127.0.0.1:$port/api/docs/" <<'PY' 2>/dev/null; then
import sys
import urllib.error
import urllib.request

try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass  # any HTTP answer means the server is up
PY
    break
  fi
  kill -0 "$demo" 2>/dev/null || { echo "demo.sh exited early:" >&2; cat "$log" >&2; exit 1; }
  sleep 1
done
mapfile -t groups < <(ps -eo ppid=,pgid= | awk -v d="$demo" '$1 == d && $2 != d {print $2}' | sort -u)
echo "demo.sh $demo is serving on port $port; process groups: $demo ${groups[*]}"
kill -TERM -- "-$demo"
left=""
for _ in $(seq 1 300); do
  left="$(for g in "$demo" "${groups[@]}"; do ps -eo pid=,pgid=,stat=,args= | awk -v g="$g" '$2 == g && $3 !~ /^Z/'; done)"
  [ -z "$left" ] && break
  sleep 0.1
done
if [ -n "$left" ]; then
  echo "FAIL: still running 30 s after SIGTERM to demo.sh's process group:" >&2
  echo "$left" >&2
  tail -20 "$log" >&2
  exit 1
fi
grep -qE "Q Cluster .* has stopped|Q 集群 .* 已停止" "$log" || { echo "FAIL: qcluster did not log a clean stop" >&2; tail -20 "$log" >&2; exit 1; }
echo "OK: demo.sh, the web server and qcluster all stopped on SIGTERM to the process group."
