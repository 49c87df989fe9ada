#!/usr/bin/env bash
# Builds the Dockerfile from a clean copy of the committed tree with podman (via the shared
# container-smoke-test.sh) and waits for /health. Node's headers are added to the build context
# because the locally made base image lacks them and nothing can be downloaded here.
set -euo pipefail
cd "$(dirname "$0")/.."
SMOKE=${CONTAINER_SMOKE_TEST:-../shared/tools/container-smoke-test.sh}
ctx=$(mktemp -d /tmp/keygate-docker.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
git archive HEAD | tar -x -C "$ctx"
if [ -d /usr/include/node ]; then
  mkdir -p "$ctx/.docker-extra/nodedir/include"
  cp -r /usr/include/node "$ctx/.docker-extra/nodedir/include/node"
fi
bash "$SMOKE" "$ctx" "${1:-3001}" /health
