"""Fixtures of the scheduling service's tests."""

from tests.support.smtp import smtp_server  # noqa: F401  # a real SMTP server on 127.0.0.1
