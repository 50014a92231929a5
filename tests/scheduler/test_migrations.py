"""The scheduler's schema history: SQLite files of earlier releases (no version table) open
with every booking kept and the new version recorded; a fresh database of either dialect gets
the whole history; `scheduling-agent migrate` applies it and says what it did."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from api import cli
from core import migrations
from scheduler.store import make_store
from tests.support.calendly import query

# The schema of the first release, which had only the bookings table (git show 313105a^:scheduler/store.py).
FIRST_RELEASE = """
CREATE TABLE IF NOT EXISTS bookings (
    booking_id        TEXT PRIMARY KEY,
    confirmation_code TEXT NOT NULL,
    appointment_type  TEXT NOT NULL,
    date              TEXT NOT NULL,
    start_time        TEXT NOT NULL,
    end_time          TEXT NOT NULL,
    patient_name      TEXT NOT NULL,
    patient_email     TEXT NOT NULL,
    patient_phone     TEXT NOT NULL,
    reason            TEXT,
    status            TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    created_at        TEXT NOT NULL,
    cancelled_at      TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS one_confirmed_booking_per_slot
    ON bookings (appointment_type, date, start_time) WHERE status = 'confirmed';
"""

# The previous release's schema, word for word (git show 645379a:scheduler/store.py and outbox.py).
PREVIOUS_RELEASE = """
CREATE TABLE IF NOT EXISTS bookings (
    booking_id        TEXT PRIMARY KEY,
    confirmation_code TEXT NOT NULL,
    appointment_type  TEXT NOT NULL,
    date              TEXT NOT NULL,
    start_time        TEXT NOT NULL,
    end_time          TEXT NOT NULL,
    patient_name      TEXT NOT NULL,
    patient_email     TEXT NOT NULL,
    patient_phone     TEXT NOT NULL,
    reason            TEXT,
    status            TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    created_at        TEXT NOT NULL,
    cancelled_at      TEXT,
    forgotten_at      TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS one_confirmed_booking_per_slot
    ON bookings (appointment_type, date, start_time) WHERE status = 'confirmed';
CREATE INDEX IF NOT EXISTS bookings_by_code ON bookings (confirmation_code);
CREATE TABLE IF NOT EXISTS booking_events (
    event_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id TEXT NOT NULL REFERENCES bookings (booking_id),
    event      TEXT NOT NULL CHECK (event IN ('created', 'rescheduled', 'cancelled')),
    at         TEXT NOT NULL,
    from_slot  TEXT,
    to_slot    TEXT
);
CREATE INDEX IF NOT EXISTS booking_events_by_booking ON booking_events (booking_id, event_id);
CREATE TABLE IF NOT EXISTS holds (
    hold_id          TEXT PRIMARY KEY,
    appointment_type TEXT NOT NULL,
    date             TEXT NOT NULL,
    start_time       TEXT NOT NULL,
    expires_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS one_hold_per_slot ON holds (appointment_type, date, start_time);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at);

CREATE TABLE IF NOT EXISTS outbox (
    notice_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('created', 'rescheduled', 'cancelled')),
    sequence        INTEGER NOT NULL,
    recipient       TEXT NOT NULL,
    booking         TEXT NOT NULL,
    created_at      REAL NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    sent_at         REAL,
    last_error      TEXT,
    UNIQUE (booking_id, sequence)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;
"""

LATEST = len(migrations.load("scheduler.migrations", "sqlite"))
BOOKINGS = [
    ("APPT-20261124-0001", "CODE0001", "consultation", "2026-11-24", "09:00", "09:30", "confirmed", None),
    ("APPT-20261124-0002", "CODE0002", "followup", "2026-11-24", "10:00", "10:15", "cancelled", "2026-11-23T15:00:00"),
    ("APPT-20261125-0003", "CODE0003", "consultation", "2026-11-25", "09:00", "09:30", "confirmed", None),
]


def _legacy_file(path: Path, schema: str) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(schema)
        db.executemany(
            "INSERT INTO bookings (booking_id, confirmation_code, appointment_type, date, start_time, end_time,"
            " patient_name, patient_email, patient_phone, reason, status, created_at, cancelled_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 'Jane Roe', 'jane@example.com', '555-0100', NULL, ?, '2026-11-23T14:00:00', ?)",
            BOOKINGS,
        )


def _versions(url: str) -> list[tuple[int, str]]:
    rows = query(url, "SELECT version, name FROM schema_migrations WHERE component = 'scheduler' ORDER BY version")
    return [(row["version"], row["name"]) for row in rows]


@pytest.mark.parametrize(
    ("schema", "applied", "recorded"),
    [
        (FIRST_RELEASE, [2, 3], ["baseline", "0002_history_holds_keys_outbox", "0003_forgotten_at"]),
        (PREVIOUS_RELEASE, [], ["baseline", "baseline", "baseline"]),
    ],
    ids=["first-release", "previous-release"],
)
async def test_a_file_of_an_earlier_release_opens_with_every_booking_kept(
    tmp_path: Path, schema: str, applied: list[int], recorded: list[str]
) -> None:
    path = tmp_path / "scheduling.db"
    _legacy_file(path, schema)
    url = f"sqlite:///{path}"
    store = make_store(url)
    await store.open()
    try:
        assert store.applied == applied
        kept = await store.all()
        assert [(b.booking_id, b.status, b.cancelled_at, b.forgotten_at) for b in kept] == [
            (row[0], row[6], row[7], None) for row in BOOKINGS
        ]
        # The migrated file works as a new one: history, holds, notices, erasure.
        async with store.transaction() as tx:
            assert await tx.cancel("APPT-20261124-0001", "2026-11-23T16:00:00")
        assert await store.forget("APPT-20261125-0003", "2026-11-23T16:05:00")
        assert (await store.get("APPT-20261125-0003")).patient_email == ""  # type: ignore[union-attr]
    finally:
        await store.close()
    assert _versions(url) == list(enumerate(recorded, start=1))
    assert LATEST == 3


async def test_a_new_database_gets_the_whole_history_once(database_url: str) -> None:
    for expected in ([1, 2, 3], []):  # the second start has nothing to apply
        store = make_store(database_url)
        await store.open()
        await store.close()
        assert store.applied == expected
    assert [v for v, _ in _versions(database_url)] == [1, 2, 3]


def test_the_migrate_command_applies_and_says_what(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    cli.get_settings.cache_clear()
    try:
        assert cli.main(["migrate"]) == 0
        assert cli.main(["migrate"]) == 0
    finally:
        cli.get_settings.cache_clear()
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:3] + lines[4:6] == [
        "scheduler: applied 1, 2, 3",
        "sessions: applied 1, 2",  # the chat sessions' and staff sessions' tables (agent/migrations)
        "scheduler: up to date, nothing to apply",
        "sessions: up to date, nothing to apply",
    ]
    assert lines[0].startswith("database: ") and lines[3] == lines[0]
    assert _versions(database_url)[-1] == (3, "0003_forgotten_at")
