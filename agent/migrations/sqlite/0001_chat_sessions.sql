-- Which chat sessions exist, who is answering one now, what each waits for (agent/sessions.py).
CREATE TABLE chat_sessions (
    session_id  TEXT PRIMARY KEY,
    created_at  REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0,  -- 0: free; else busy until then (unix time, the database's clock)
    lease_owner TEXT,
    pending     TEXT                      -- JSON (a confirm event or null); NULL: not known
);
