"""A real, throwaway PostgreSQL server: Debian's binaries, a cluster in a temporary folder.

The test session starts one (`postgres_server`, on first use) on a free loopback port and
stops it at the end; each test that asks for `postgres_url` gets a fresh, empty database on
it, so tests never see each other's rows. `scripts/ensure-postgres.sh` installs the binaries
(`make test` runs it). PostgreSQL refuses to run as root, so as root the cluster belongs to
the `postgres` user the Debian package creates.

Also a command for trying the app on PostgreSQL by hand (`make postgres`):

    python -m tests.support.postgres var/postgres    # prints DATABASE_URL, runs until Ctrl-C
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

USER = "scheduling"  # the cluster's superuser; local connections are trusted (loopback only)


def bin_dir() -> Path:
    """Where initdb and pg_ctl are (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError("PostgreSQL's initdb not found: run `bash scripts/ensure-postgres.sh`")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One cluster in `folder` on 127.0.0.1:`port`, started by `start()`, removed by `stop()`
    when it made the folder (`keep=False`)."""

    def __init__(self, folder: Path, port: int | None = None, *, keep: bool = False, durable: bool = False) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = port or free_port()
        self.keep = keep
        self.durable = durable  # fsync as in production; off for tests (a killed app server never loses PG's writes)
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True, text=True)

    def start(self) -> PostgresServer:
        binaries = bin_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._as_user:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.folder, postgres.pw_uid, postgres.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                str(binaries / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"
            )
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c max_connections=300"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            str(binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        return self

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its URL."""
        name = name or "t_" + secrets.token_hex(6)
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.database_url(name)

    def stop(self) -> None:
        try:
            self._run(str(bin_dir() / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # not running
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (started on first use)."""
    folder = Path(tempfile.mkdtemp(prefix="pg-tests-"))
    server = PostgresServer(folder).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database of its own for this test."""
    return postgres_server.create_database()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a local PostgreSQL for trying the app on it.")
    parser.add_argument("folder", type=Path, nargs="?", default=Path("var/postgres"))
    parser.add_argument("--port", type=int, default=5433)
    parser.add_argument("--database", default="scheduling")
    args = parser.parse_args(argv)
    server = PostgresServer(args.folder.resolve(), args.port, keep=True, durable=True).start()
    with psycopg.connect(server.url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.database,)).fetchone()
    if not exists:
        server.create_database(args.database)
    print(f"PostgreSQL is running in {server.folder} (stop with Ctrl-C). In another terminal:", flush=True)
    print(f"  DATABASE_URL={server.database_url(args.database)} make run", flush=True)
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        server.stop()
        print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    raise SystemExit(main())
