-- 0002: sync with the cloud hub (docs/adr/0001-sync-protocol.md).
-- outbox: the upstream log of changes the site owns, written in the same transaction as the change.
-- sync_state: one row of cursors for both directions.

CREATE TABLE outbox (
    -- Assigned only on append; AUTOINCREMENT never reuses a number, even after the rows are deleted on
    -- acknowledgement, and a rolled-back unit rolls back its number too, so the log has no holes.
    sequence    INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,        -- when the change happened (for lag); also inside the payload
    device_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,           -- enrolled | status | command_result | transitioned
    payload     BLOB NOT NULL            -- serialized SiteChange (sync.proto) without its sequence
);
-- The coalescing lookup: the device's newest status row.
CREATE INDEX outbox_device_kind ON outbox(device_id, kind, sequence);

CREATE TABLE sync_state (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    offered_through     INTEGER NOT NULL DEFAULT 0,  -- highest sequence ever read for a push; never lowered
    acked_through       INTEGER NOT NULL DEFAULT 0,  -- highest sequence the hub acknowledged; never lowered
    feed_position       INTEGER NOT NULL DEFAULT 0,  -- last downstream feed position applied
    uplink_state        TEXT,                        -- reserved for the sync worker's connectivity state
    last_contact_at     INTEGER                      -- reserved: last successful call to the hub
);
INSERT INTO sync_state (id) VALUES (1);
