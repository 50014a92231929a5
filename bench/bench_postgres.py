"""A throwaway PostgreSQL for the benchmarks' `--database postgres`.

It is the `make postgres` command (tests/support/postgres.py, durable settings: fsync on, as
in production), run as a process in a temporary folder on a free port, so the benchmarks
import nothing of the tests (tests/test_layers.py). Stopped and removed on exit. Its CPU time
(the postmaster and every backend) is read from /proc, so a benchmark can show the database's
share next to the app server's, which for SQLite is inside the app process.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


class ThrowawayPostgres:
    """`with ThrowawayPostgres() as pg:` -> `pg.create_database(name)` gives a fresh database's URL."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="bench-postgres-"))
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> ThrowawayPostgres:
        command = [sys.executable, "-m", "tests.support.postgres", str(self.folder), "--port", str(_free_port())]
        with open(self.folder.with_name(self.folder.name + ".log"), "w") as log:
            self._proc = subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True
            )
        assert self._proc.stdout is not None
        for line in self._proc.stdout:  # the command prints the URL once the server is up
            found = re.search(r"DATABASE_URL=(\S+)", line)
            if found:
                self.url = found.group(1)
                return self
        self.__exit__(None, None, None)
        raise RuntimeError(f"PostgreSQL did not start (is it installed? `bash scripts/ensure-postgres.sh`): {command}")

    def create_database(self, name: str) -> str:
        """A new empty database called `name` (letters, digits, underscores); its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain database name: {name!r}")
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}".encode())
        return self.url.rsplit("/", 1)[0] + "/" + name

    def cpu_seconds(self) -> float:
        """CPU time of the server so far: the postmaster, its live backends, and those that exited."""
        pid = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        fields = _stat(pid)
        total = sum(int(f) for f in fields[11:15])  # utime, stime, and the reaped children's cutime, cstime
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                child = stat.read_text().rsplit(")", 1)[1].split()
                if int(child[1]) == pid:
                    total += int(child[11]) + int(child[12])
            except (OSError, ValueError, IndexError):
                pass  # exited while we looked
        return total / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)  # the command stops its server, then exits
            try:
                self._proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.with_name(self.folder.name + ".log").unlink(missing_ok=True)


@dataclass
class Database:
    """Where the app keeps its data in one benchmark run: SQLite files in a work folder, or
    databases on a throwaway PostgreSQL; `fresh(name)` gives a new one per server."""

    kind: str  # "sqlite" | "postgres"
    workdir: Path
    postgres: ThrowawayPostgres | None = None

    def fresh(self, name: str) -> str:
        if self.postgres is None:
            return f"sqlite:///{self.workdir / name}.db"
        return self.postgres.create_database(name)

    @property
    def cpu(self) -> Callable[[], float] | None:
        """The database server's CPU seconds so far (None for SQLite: it runs inside the app)."""
        return self.postgres.cpu_seconds if self.postgres else None
