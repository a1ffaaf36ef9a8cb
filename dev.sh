#!/usr/bin/env bash
# One entry point for people and CI. Needs only python3 (3.11+), git and npm on the machine.
#   ./dev.sh plan [STACK] [plan options]   set up, then print the offline plan of STACK (default dev)
#   ./dev.sh test                          set up, then lint, type-check and run the whole test suite
#   ./dev.sh setup                         create .venv and install the pinned requirements only
set -euo pipefail
cd "$(dirname "$0")"

setup() {
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
  bash scripts/install-helm.sh >/dev/null
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  setup)
    setup
    ;;
  plan)
    setup
    stack=${1:-dev}
    [ $# -gt 0 ] && shift
    .venv/bin/python -m offline.plan "$stack" "$@"
    ;;
  test)
    setup
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/mypy
    .venv/bin/python -m pytest "$@"
    ;;
  *)
    sed -n '2,6p' "$0" >&2
    exit 2
    ;;
esac
