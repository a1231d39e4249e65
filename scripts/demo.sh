#!/usr/bin/env bash
# Set up and run the service with demo data on the embedded defaults (SQLite, django-q2 ORM broker,
# console SMS). Login codes appear in this terminal. Stop with Ctrl-C (or SIGTERM to this script or to
# its whole process group): the task cluster is stopped and waited for before the script exits.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.lock
.venv/bin/python manage.py migrate --no-input -v0
.venv/bin/python manage.py seed_demo
if .venv/bin/python manage.py help setup_schedules >/dev/null 2>&1; then
  .venv/bin/python manage.py setup_schedules
fi

# The task cluster and the web server each run in a process group of their own, and this script stops
# them (trap below) however it is stopped: Ctrl-C, SIGTERM to it, or SIGTERM to its whole process group.
# qcluster's main process must be the only one told: a signal to its whole group would also hit
# django-q2's sentinel, which dies at once (SIG_DFL) while it waits on the stop event, and the main
# process then hangs for ever in that event's set() (django-q2 1.11.1, django_q/cluster.py).
worker=""
server=""
stop_group() {  # stop_group PID: SIGTERM to the process, up to 30 s for it to exit, then SIGKILL its group
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
shutdown() {
  trap - EXIT INT TERM
  echo "Stopping the web server and the task cluster..."
  if [ -n "$server" ]; then kill -TERM -- "-$server" 2>/dev/null || true; fi  # runserver and its reloader
  stop_group "$worker"
  stop_group "$server"
}
trap shutdown EXIT
trap 'shutdown; exit 130' INT
trap 'shutdown; exit 143' TERM

setsid .venv/bin/python manage.py qcluster &
worker=$!
echo
echo "API:        http://127.0.0.1:${PORT:-8000}/api/v1/"
echo "Swagger UI: http://127.0.0.1:${PORT:-8000}/api/docs/"
echo "Admin:      http://127.0.0.1:${PORT:-8000}/admin/"
setsid .venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}" &
server=$!
# Waiting in the background (not a foreground child) lets a signal run the trap at once.
wait "$server"
