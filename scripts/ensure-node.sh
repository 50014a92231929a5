#!/usr/bin/env bash
# Node tests (the AI SDK client) and axe-core (browser accessibility checks) need Node.js >= 18 and
# the packages pinned in tests/node/package-lock.json. Install Node from Debian if it is missing,
# then the packages into tests/node/node_modules (gitignored) when the lock file changed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node --version
"$(dirname "$0")/../.venv/bin/python" -c "from tests.support.node import install_packages; install_packages()"
