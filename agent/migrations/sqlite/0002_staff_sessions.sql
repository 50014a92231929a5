-- The staff playground's sessions (api/playground/sessions.py): what the checkpoint does not hold.
CREATE TABLE staff_sessions (
    session_id  TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,             -- the clinic clock when it started (ISO 8601)
    provider    TEXT NOT NULL,
    model       TEXT,
    temperature REAL,
    prompt      TEXT,                      -- NULL: the shipped prompt
    turns       INTEGER NOT NULL DEFAULT 0,
    usage       TEXT NOT NULL DEFAULT '{}',  -- JSON: token counts summed over its turns
    last_used   REAL NOT NULL              -- unix time (the database's clock): least recently used go first
);
CREATE INDEX staff_sessions_last_used ON staff_sessions (last_used);
