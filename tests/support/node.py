"""Node.js for the tests: the packages pinned in tests/node/package-lock.json (the Vercel AI SDK,
axe-core), installed into tests/node/node_modules (gitignored) with `npm ci` when missing or when
the lock file changed. Node itself comes from the machine (`scripts/ensure-node.sh`, which
`make test` runs, installs Debian's); without it the tests that need it fail and say so.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
MODULES = NODE_DIR / "node_modules"
STAMP = MODULES / ".installed-lock-sha256"
AXE = MODULES / "axe-core" / "axe.min.js"


class NodeMissing(RuntimeError):
    pass


def node() -> str:
    """The `node` executable, or NodeMissing saying how to get it."""
    found = shutil.which("node")
    if found is None or shutil.which("npm") is None:
        raise NodeMissing(
            "Node.js and npm are needed (the AI SDK client test, axe-core in the browser tests): "
            "install them with `bash scripts/ensure-node.sh` (`make test` runs it)."
        )
    return found


def install_packages() -> Path:
    """`npm ci` into tests/node/node_modules unless it already holds this lock file's packages."""
    node()
    lock = (NODE_DIR / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return MODULES
    proc = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"npm ci in {NODE_DIR} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    STAMP.write_text(digest + "\n")
    return MODULES


@pytest.fixture(scope="session")
def node_packages() -> Path:
    """tests/node/node_modules, installed if needed; a missing Node fails the test (never a skip)."""
    try:
        return install_packages()
    except NodeMissing as exc:
        pytest.fail(str(exc))
