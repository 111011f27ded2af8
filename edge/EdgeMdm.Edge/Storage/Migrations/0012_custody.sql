-- Issue 25: chain of custody. Each subject (a device id, or a battery's serial) has its own hash chain:
-- idx 0, 1, 2... and each row holds the hash of the one before (EdgeMdm.Domain.Custody.CustodyChain).
-- Rows are only ever appended.
CREATE TABLE custody_events (
    subject             TEXT NOT NULL,
    subject_kind        TEXT NOT NULL,
    idx                 INTEGER NOT NULL,
    at                  INTEGER NOT NULL,
    from_party          TEXT NOT NULL,
    to_party            TEXT NOT NULL,
    actor               TEXT NOT NULL,
    place               TEXT NOT NULL,
    note                TEXT NOT NULL,
    erasure_method      TEXT NOT NULL,
    erasure_certificate TEXT NOT NULL,
    previous_hash       TEXT NOT NULL,
    hash                TEXT NOT NULL,
    PRIMARY KEY (subject, idx)
);

CREATE INDEX custody_events_by_time ON custody_events (at);
