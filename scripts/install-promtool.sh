#!/usr/bin/env bash
# Makes sure promtool (the rule checker and rule unit-test runner of Prometheus) is on PATH: the rule tests
# (tests/test_observability_rules.py) run `promtool check rules` and `promtool test rules`. promtool ships in
# Debian's `prometheus` package; as root on Debian it is installed from there, otherwise this says what to do.
# Prints the path of promtool. On failure prints why and exits 1.
set -euo pipefail

fail() {
  echo "error: could not install promtool: $1" >&2
  echo "Install it yourself (Debian/Ubuntu: 'sudo apt-get install -y prometheus'; or put the promtool binary of a" >&2
  echo "Prometheus release on PATH), then run ./dev.sh test again." >&2
  exit 1
}

if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || fail "no promtool on PATH and no apt-get (not Debian): nothing to install it with"
[ "$(id -u)" = "0" ] || fail "no promtool on PATH, and installing Debian's prometheus package needs root"
echo "Installing promtool (Debian package prometheus) ..." >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; } >"$log" 2>&1; then
  tail -20 "$log" >&2
  fail "'apt-get install prometheus' failed (its last lines are above)"
fi
command -v promtool >/dev/null 2>&1 || fail "the prometheus package is installed but promtool is not on PATH"
promtool --version >&2
command -v promtool
