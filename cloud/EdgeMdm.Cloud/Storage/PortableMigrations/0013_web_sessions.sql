-- Issue 26: the console's web sessions (EdgeMdm.ServiceDefaults.WebSignIn). The browser holds a random key; the hub
-- keeps its SHA-256 and the Data Protection-protected ticket (base64), so a copy of the database signs nobody in.
-- user_name is the account as "tenant:user", by which removing an account or changing its password ends its sessions.
CREATE TABLE web_sessions (
    key_hash     TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL,
    ticket       TEXT NOT NULL,
    signed_in_at BIGINT NOT NULL,
    renewed_at   BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_name);
CREATE INDEX web_sessions_by_renewal ON web_sessions (renewed_at);
