"""The scheduler database's schema history (bookings, history, holds, keys, outbox), one
folder per dialect with the same version numbers; applied by core.migrations."""
