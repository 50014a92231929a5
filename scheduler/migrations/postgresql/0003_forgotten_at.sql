-- When the patient's personal data was erased at their request (NULL: never).
ALTER TABLE bookings ADD COLUMN forgotten_at TEXT;
