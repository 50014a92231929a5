"""Small helpers for talking to the scheduling API in tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row

from core.database import parse_database_url
from scheduler.sql import WORDS, to_psycopg
from scheduler.store import sqlite_path

API = "/api/calendly"
PATIENT = {"name": "Jane Roe", "email": "jane.roe@example.com", "phone": "+1 (555) 123-4567"}


def booking_body(
    date: str,
    start_time: str,
    appointment_type: str = "consultation",
    patient: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "appointment_type": appointment_type,
        "date": date,
        "start_time": start_time,
        "patient": dict(PATIENT if patient is None else patient),
        **extra,
    }


def availability(client: httpx.Client, date: str, appointment_type: str = "consultation") -> httpx.Response:
    return client.get(f"{API}/availability", params={"date": date, "appointment_type": appointment_type})


def free_times(client: httpx.Client, date: str, appointment_type: str = "consultation") -> list[str]:
    """Start times offered that day (asserting a 200)."""
    response = availability(client, date, appointment_type)
    assert response.status_code == 200, response.text
    return [slot["start_time"] for slot in response.json()["available_slots"]]


def book(
    client: httpx.Client, date: str, start_time: str, appointment_type: str = "consultation", **kw: Any
) -> httpx.Response:
    return client.post(f"{API}/book", json=booking_body(date, start_time, appointment_type, **kw))


def book_ok(
    client: httpx.Client, date: str, start_time: str, appointment_type: str = "consultation", **kw: Any
) -> dict[str, Any]:
    response = book(client, date, start_time, appointment_type, **kw)
    assert response.status_code == 201, response.text
    return response.json()


def without_history(booking: dict[str, Any]) -> dict[str, Any]:
    """A lookup's answer as /book answered it: the same fields but its `history`."""
    return {k: v for k, v in booking.items() if k != "history"}


def query(database_url: str, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows of `sql` (SQLite's `?` placeholders, `{order}` and the like as in scheduler/sql.py),
    read from the database directly, not through the API, whichever its dialect."""
    dialect = parse_database_url(database_url).dialect
    sql = sql.format(**WORDS[dialect])
    if dialect == "postgresql":
        with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as pg:
            return pg.execute(to_psycopg(sql).encode(), params).fetchall()
    with sqlite3.connect(sqlite_path(database_url)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql, params)]


def stored_bookings(database_url: str) -> list[dict[str, Any]]:
    """The bookings table as the database holds it, oldest first."""
    return query(database_url, "SELECT * FROM bookings ORDER BY created_at, {order}")
