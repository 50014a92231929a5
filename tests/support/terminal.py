"""A command run in a pseudo-terminal, as a person runs it: its output is a terminal's, and
Ctrl-C is the terminal's (SIGINT to the whole foreground process group, `make` included)."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path


class TerminalProcess:
    """`TerminalProcess(argv, env=..., cwd=...)`: started at once; read with `wait_for`, stop with `ctrl_c`."""

    def __init__(self, argv: list[str], *, env: dict[str, str], cwd: Path) -> None:
        master, slave = pty.openpty()
        self.master = master
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,  # its own session, with this terminal as the controlling one
            preexec_fn=lambda: _take_terminal(slave),
        )
        os.close(slave)
        self.output = ""

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the other side closed: the process is gone
            return False
        self.output += data.decode(errors="replace").replace("\r\n", "\n")
        return bool(data)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        """Read until `text` appears; everything so far. Fails the test after `timeout` s."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or (not self._read(0.2) and self.proc.poll() is not None):
                raise AssertionError(f"{text!r} did not appear within {timeout:.0f} s; output:\n{self.output}")
        return self.output

    def ctrl_c(self) -> None:
        """Type Ctrl-C: the terminal turns it into SIGINT for its foreground process group."""
        os.write(self.master, b"\x03")

    def terminate_group(self) -> None:
        """SIGTERM to the whole process group (a process manager stopping it)."""
        os.killpg(self.proc.pid, signal.SIGTERM)

    def wait(self, timeout: float = 30.0) -> int:
        """Wait for the exit, reading all output; the exit code (-N for death by signal N)."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.05):
            pass
        if self.proc.poll() is None:
            self.kill()
            raise AssertionError(f"still running after {timeout:.0f} s; output:\n{self.output}")
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def close(self) -> None:
        self.kill()
        os.close(self.master)


def _take_terminal(fd: int) -> None:
    """In the child: make the pseudo-terminal its controlling terminal (Ctrl-C reaches it)."""
    import fcntl
    import termios

    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
