-- Issue 25: hot-spare pools and swaps.

-- Who or what the device is handed out to ("picker 12", "route 7"); NULL: unassigned. A swap moves it to the spare.
ALTER TABLE devices ADD COLUMN assignment TEXT;

-- One pool per device model, with the number of Ready spares the site wants on hand.
CREATE TABLE spare_pools (
    model       TEXT PRIMARY KEY,
    minimum     INTEGER NOT NULL CHECK (minimum >= 0),
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL
);

-- Membership is explicit: a device is a spare because an operator put it in its model's pool.
CREATE TABLE spare_members (
    device_id   TEXT PRIMARY KEY REFERENCES devices(id),
    model       TEXT NOT NULL REFERENCES spare_pools(model),
    added_at    INTEGER NOT NULL,
    added_by    TEXT NOT NULL
);
CREATE INDEX spare_members_model ON spare_members(model);

-- A swap: proposed (a spare picked and its slot lit), then confirmed with the scanned spare, cancelled or expired.
CREATE TABLE swaps (
    id                  TEXT PRIMARY KEY,
    device_id           TEXT NOT NULL REFERENCES devices(id),   -- the broken device
    device_serial       TEXT NOT NULL,
    model               TEXT NOT NULL,
    reason              TEXT NOT NULL,
    wipe                INTEGER NOT NULL,
    proposed_spare_id   TEXT NOT NULL REFERENCES devices(id),
    proposed_serial     TEXT NOT NULL,
    spare_id            TEXT REFERENCES devices(id),            -- the spare that was scanned at confirmation
    spare_serial        TEXT,
    state               TEXT NOT NULL,                          -- Proposed | Confirmed | Cancelled | Expired
    created_at          INTEGER NOT NULL,
    created_by          TEXT NOT NULL,
    expires_at          INTEGER NOT NULL,
    closed_at           INTEGER,
    closed_by           TEXT
);
CREATE INDEX swaps_open ON swaps(expires_at) WHERE state = 'Proposed';
