-- Booking history, holds, idempotency keys and the notice outbox. IF NOT EXISTS throughout:
-- a file from a release that made some of these before versions were recorded keeps them.
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
