-- Which chat sessions exist, who is answering one now, what each waits for (agent/sessions.py).
CREATE TABLE chat_sessions (
    session_id  TEXT PRIMARY KEY,
    created_at  DOUBLE PRECISION NOT NULL,
    lease_until DOUBLE PRECISION NOT NULL DEFAULT 0,  -- 0: free; else busy until then (unix time, the database's clock)
    lease_owner TEXT,
    pending     TEXT                                  -- JSON (a confirm event or null); NULL: not known
);
CREATE INDEX chat_sessions_lease_owner ON chat_sessions (lease_owner) WHERE lease_owner IS NOT NULL;
