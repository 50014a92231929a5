"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, in its own thread.

`SmtpSink.refusing` (a count, or None for "every message") makes it answer 451 (a transient
failure: the client should retry later) before it accepts again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.servers import free_port, wait_until


class SmtpSink:
    """An aiosmtpd handler that keeps what it accepts."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.refused = 0
        self.refusing: int | None = 0  # None: refuse every message
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self.refusing is None or self.refusing > 0:
                self.refused += 1
                if self.refusing is not None:
                    self.refusing -= 1
                return "451 4.3.0 Try again later"
            self.received.append(envelope.original_content or envelope.content)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = list(self.received)
        return [message_from_bytes(data, policy=policy.default) for data in raw]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        wait_until(lambda: len(self.received) >= count, timeout, what=f"{count} message(s) at the SMTP server")
        return self.messages()


class SmtpServer:
    def __init__(self, sink: SmtpSink, controller: Controller) -> None:
        self.sink = sink
        self.controller = controller

    @property
    def url(self) -> str:
        return f"smtp://{self.controller.hostname}:{self.controller.port}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(sink, controller)
    finally:
        controller.stop()
