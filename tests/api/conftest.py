"""Fixtures of the scheduling-service tests: a server per test, or one shared per module."""

from __future__ import annotations

import pytest


@pytest.fixture
def shared_client(shared_live_server):
    """A client of the module's shared server: for tests that book nothing."""
    with shared_live_server.client() as client:
        yield client


@pytest.fixture
def server(live_server):
    return live_server()


@pytest.fixture
def client(server):
    with server.client() as client:
        yield client
