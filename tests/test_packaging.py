"""Installing the project prints no warnings: the first thing a new user sees is `make install`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_an_editable_install_prints_no_build_warning(tmp_path: Path) -> None:
    # The same build `make install` runs (pip's isolated build with the current setuptools),
    # installed into a throwaway venv (`--python`: never the test's own venv, whose install
    # `--prefix` would remove).
    target = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True, timeout=120)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install", "--no-deps", "--quiet"]
        + ["-e", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # pip's own notes about this machine's index configuration are not the project's.
    lines = [line for line in proc.stderr.splitlines() if line.strip() and "is ignored: it is neither" not in line]
    assert not [line for line in lines if "warning" in line.lower()], "\n".join(lines)
    assert list(target.rglob("__editable__.scheduling_agent-*.pth"))
