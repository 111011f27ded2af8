-- Issue 24: staging batches. A batch is one enrollment token of device_count uses that expires with the batch
-- (enrollment_tokens.token_hash; the clear token is printed on the sheet and never stored), and the devices it
-- enrolled. A device belongs to the batch whose token enrolled it last.
CREATE TABLE staging_batches (
    id           TEXT PRIMARY KEY,
    group_name   TEXT NOT NULL,
    plan_name    TEXT,
    device_count INTEGER NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL
);

CREATE TABLE staging_batch_members (
    device_id   TEXT PRIMARY KEY,
    batch_id    TEXT NOT NULL REFERENCES staging_batches (id),
    slot        INTEGER,
    enrolled_at INTEGER NOT NULL
);

CREATE INDEX staging_batch_members_by_batch ON staging_batch_members (batch_id);
