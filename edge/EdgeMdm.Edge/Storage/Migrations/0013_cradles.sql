-- Issue 25: cradle slots. Each source's latest word on each slot (GPIO switch, networked cradle telemetry, a
-- device's own report of where it is docked); Cradles merges them into one slot view (README "Cradles").
CREATE TABLE cradle_observations (
    cradle_id   TEXT    NOT NULL,
    slot        INTEGER NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('gpio', 'mqtt', 'device')),
    content     TEXT    NOT NULL CHECK (content IN ('empty', 'device', 'battery')),
    serial      TEXT,
    -- The reporting device (source 'device'), so its undocking clears its slot.
    device_id   TEXT,
    charge      INTEGER,
    charging    INTEGER,
    fault       TEXT,
    observed_at INTEGER NOT NULL,
    PRIMARY KEY (cradle_id, slot, source)
) WITHOUT ROWID;

CREATE INDEX cradle_observations_device ON cradle_observations (device_id) WHERE device_id IS NOT NULL;

-- LEDs lit by a pick ("take this one"), so every process reading the data directory sees them and a restart lights
-- them again; a slot that empties or a cleared pick removes its row.
CREATE TABLE cradle_leds (
    cradle_id TEXT    NOT NULL,
    slot      INTEGER NOT NULL,
    serial    TEXT    NOT NULL,
    lit_at    INTEGER NOT NULL,
    PRIMARY KEY (cradle_id, slot)
) WITHOUT ROWID;
