-- Issue 26: the supervisor page's sessions (the browser holds a random key; this holds its SHA-256 and the
-- Data Protection-protected ticket) and the local break-glass administrator made at first start.
CREATE TABLE web_sessions (
    key_hash      TEXT PRIMARY KEY,
    user_name     TEXT NOT NULL,
    ticket        BLOB NOT NULL,
    signed_in_at  INTEGER NOT NULL,
    renewed_at    INTEGER NOT NULL
);

CREATE INDEX web_sessions_user ON web_sessions (user_name);

CREATE TABLE local_admins (
    user_name      TEXT PRIMARY KEY,
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
