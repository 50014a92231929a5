"""Fixtures of the scheduling service's tests: every test that starts a server runs on SQLite
and on PostgreSQL (tests/support/dialects.py), one contract suite for both stores."""

from tests.support.dialects import fresh_database, live_server, serve_process  # noqa: F401  # both dialects
from tests.support.smtp import smtp_server  # noqa: F401  # a real SMTP server on 127.0.0.1
