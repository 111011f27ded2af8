-- Issue 25: battery samples (one row per reported battery change, pruned after Edge:Batteries:SampleRetentionDays)
-- and the reports recorded around shifts (a readiness figure before each, the missing devices after each).
CREATE TABLE battery_samples (
    battery       TEXT NOT NULL,      -- the pack's serial, or 'device:{id}' when the device reports none
    device_id     TEXT NOT NULL,
    at            INTEGER NOT NULL,   -- unix ms, the check-in's
    level         INTEGER,
    health        INTEGER,
    cycles        INTEGER,
    charging      INTEGER NOT NULL,
    docked        INTEGER NOT NULL,
    time_to_full  INTEGER             -- minutes, as the device reported it
);

CREATE INDEX battery_samples_by_battery ON battery_samples (battery, at);
CREATE INDEX battery_samples_by_device ON battery_samples (device_id, at);
CREATE INDEX battery_samples_by_at ON battery_samples (at);

CREATE TABLE shift_reports (
    kind         TEXT NOT NULL,       -- readiness | missing
    shift_id     TEXT NOT NULL,       -- name@yyyy-MM-dd (the local date the shift starts on)
    shift_start  INTEGER NOT NULL,
    shift_end    INTEGER NOT NULL,
    computed_at  INTEGER NOT NULL,
    report       TEXT NOT NULL,       -- JSON
    PRIMARY KEY (kind, shift_id)
);

CREATE INDEX shift_reports_by_end ON shift_reports (kind, shift_end);

-- The shift settings the serving appliance started with (one row), for operator commands whose own configuration
-- names no shifts: they see the schedule the service runs.
CREATE TABLE shift_settings (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    settings     TEXT NOT NULL,       -- JSON: shifts, time zone id, thresholds
    recorded_at  INTEGER NOT NULL
);
