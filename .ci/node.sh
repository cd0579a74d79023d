#!/usr/bin/env bash
# Node.js and npm from Debian's packages, for the conformance test (tests/test_conformance.py),
# which runs the server's own request validators; installed only when missing (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  exit 0
fi
echo "installing nodejs and npm ..." >&2
mkdir -p .cache
if ! { apt-get update -qq &&
       DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
         nodejs npm; } </dev/null >.cache/apt-node.log 2>&1; then
  cat .cache/apt-node.log >&2
  echo "installing nodejs and npm failed (apt-get needs root); the log is in .cache/apt-node.log" >&2
  exit 1
fi
