-- The bookings table as the first release made it. The partial unique index, not a Python
-- lock, is what makes a double booking impossible.
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
