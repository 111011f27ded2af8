-- 0001: devices, enrollment tokens, blueprints, commands, lifecycle history.
-- Times are Unix milliseconds (UTC). Secrets and tokens are stored as SHA-256 hex, never in clear.

CREATE TABLE site (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    site_id     TEXT NOT NULL,
    name        TEXT NOT NULL
);

CREATE TABLE blueprints (
    group_name          TEXT PRIMARY KEY,
    blueprint           TEXT NOT NULL,   -- JSON of the domain Blueprint
    declarations_token  TEXT NOT NULL,
    updated_at          INTEGER NOT NULL
);

CREATE TABLE enrollment_tokens (
    token_hash      TEXT PRIMARY KEY,
    token_prefix    TEXT NOT NULL,       -- first characters, to tell tokens apart in listings
    group_name      TEXT NOT NULL,
    uses_allowed    INTEGER NOT NULL CHECK (uses_allowed > 0),
    uses_count      INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    created_by      TEXT NOT NULL
);

CREATE TABLE devices (
    id                          TEXT PRIMARY KEY,
    serial                      TEXT NOT NULL UNIQUE,
    model                       TEXT NOT NULL,
    manufacturer                TEXT NOT NULL,
    os_version                  TEXT NOT NULL,
    agent_version               TEXT NOT NULL,
    group_name                  TEXT NOT NULL,
    state                       TEXT NOT NULL,
    secret_hash                 TEXT NOT NULL UNIQUE,
    enrolled_at                 INTEGER NOT NULL,
    enrollment_count            INTEGER NOT NULL DEFAULT 1,
    last_checkin_at             INTEGER,
    checkin_count               INTEGER NOT NULL DEFAULT 0,
    reported_declarations_token TEXT,
    status                      TEXT NOT NULL DEFAULT '{}',  -- merged DeviceStatus JSON ("floor truth")
    compliant                   INTEGER NOT NULL DEFAULT 0,
    findings                    TEXT NOT NULL DEFAULT '[]'   -- DriftFinding[] JSON
);

CREATE TABLE device_transitions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id   TEXT NOT NULL REFERENCES devices(id),
    from_state  TEXT,                    -- NULL for the first record of a new device
    to_state    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX device_transitions_device ON device_transitions(device_id, id);

CREATE TABLE installed_apps (
    device_id       TEXT NOT NULL REFERENCES devices(id),
    package_name    TEXT NOT NULL,
    version_code    INTEGER NOT NULL,
    version_name    TEXT,
    PRIMARY KEY (device_id, package_name)
);
CREATE INDEX installed_apps_package ON installed_apps(package_name, version_code);

CREATE TABLE commands (
    id              TEXT PRIMARY KEY,
    device_id       TEXT NOT NULL REFERENCES devices(id),
    type            TEXT NOT NULL,
    parameters      TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL,       -- queued | delivered | succeeded | failed | expired
    created_at      INTEGER NOT NULL,
    created_by      TEXT NOT NULL,
    expires_at      INTEGER,
    delivered_at    INTEGER,
    result_message  TEXT,
    result_at       INTEGER,             -- when the device says it finished
    completed_at    INTEGER              -- when the appliance recorded the outcome
);
CREATE INDEX commands_open ON commands(device_id, created_at) WHERE status IN ('queued', 'delivered');
