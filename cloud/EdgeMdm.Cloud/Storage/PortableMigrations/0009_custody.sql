-- Issue 25: chain of custody. Every CustodyEventRecorded a site sent, stored as it came (never updated), once each:
-- keyed by site, subject and index, so a replay or a re-sent log inserts nothing. sequence: the change's place in the
-- site's log, the order the hub received the chain in (what verification reads it by). custody_heads: the last event
-- the hub received per subject, kept apart from the events, so that the last events removed, or the last one edited
-- and its hash recomputed, still show (EdgeMdm.Domain.Custody.CustodyVerifier). The same text for both backends.
CREATE TABLE custody_events (
    site_id             TEXT NOT NULL REFERENCES sites (site_id),
    subject             TEXT NOT NULL,
    subject_kind        TEXT NOT NULL,
    idx                 BIGINT NOT NULL,
    at                  BIGINT NOT NULL,
    from_party          TEXT NOT NULL,
    to_party            TEXT NOT NULL,
    actor               TEXT NOT NULL,
    place               TEXT NOT NULL,
    note                TEXT NOT NULL,
    erasure_method      TEXT NOT NULL,
    erasure_certificate TEXT NOT NULL,
    previous_hash       TEXT NOT NULL,
    hash                TEXT NOT NULL,
    sequence            BIGINT NOT NULL,
    PRIMARY KEY (site_id, subject, idx)
);

CREATE INDEX custody_events_by_time ON custody_events (site_id, at);

CREATE TABLE custody_heads (
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    subject TEXT NOT NULL,
    idx     BIGINT NOT NULL,
    hash    TEXT NOT NULL,
    PRIMARY KEY (site_id, subject)
);
