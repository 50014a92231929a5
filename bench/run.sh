#!/usr/bin/env bash
# The benchmarks (see bench/README.md); `make bench` runs this.
#
#   bash bench/run.sh                      # every benchmark: calendly, agent, chat
#   bash bench/run.sh calendly --rounds 3  # one benchmark, with its own arguments
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
    echo "Installing wrk (Debian package)..."
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq wrk >/dev/null
fi

PYTHON="${PYTHON:-.venv/bin/python}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

run() {
    local name="$1"; shift
    echo
    echo "=== ${name} benchmark (bench/${name}_bench.py) ==="
    "$PYTHON" "bench/${name}_bench.py" "$@"
}

if [ $# -gt 0 ] && [ -f "bench/$1_bench.py" ]; then
    name="$1"; shift
    run "$name" "$@"
    exit 0
fi

run calendly "$@"
for name in agent chat; do
    if [ -f "bench/${name}_bench.py" ]; then
        run "$name"
    fi
done
