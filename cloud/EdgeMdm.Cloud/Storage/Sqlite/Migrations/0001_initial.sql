-- The hub's tables. Times are Unix milliseconds; sequences and positions are the site's numbers.

-- One row per site. Its row is the lock that serialises everything about the site: applying its upstream
-- log (applied_through) and numbering its feed (feed_head).
CREATE TABLE sites (
    site_id         TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    credential_hash TEXT NOT NULL UNIQUE,
    applied_through INTEGER NOT NULL DEFAULT 0,
    feed_head       INTEGER NOT NULL DEFAULT 0,
    last_sync_at    INTEGER,
    created_at      INTEGER NOT NULL
);

-- Projection of what sites report: one row per device, latest state.
CREATE TABLE devices (
    site_id            TEXT NOT NULL REFERENCES sites (site_id),
    device_id          TEXT NOT NULL,
    serial             TEXT NOT NULL DEFAULT '',
    model              TEXT NOT NULL DEFAULT '',
    manufacturer       TEXT NOT NULL DEFAULT '',
    os_version         TEXT NOT NULL DEFAULT '',
    agent_version      TEXT NOT NULL DEFAULT '',
    group_name         TEXT NOT NULL DEFAULT '',
    state              TEXT NOT NULL DEFAULT '',
    status_json        TEXT NOT NULL DEFAULT '',
    compliant          INTEGER NOT NULL DEFAULT 0,
    findings_json      TEXT NOT NULL DEFAULT '[]',
    finding_count      INTEGER NOT NULL DEFAULT 0,
    declarations_token TEXT NOT NULL DEFAULT '',
    last_checkin       INTEGER,
    PRIMARY KEY (site_id, device_id)
);

-- Lifecycle transitions are events: appended once, keyed by the site's sequence so a replay cannot double one.
CREATE TABLE transitions (
    site_id    TEXT NOT NULL REFERENCES sites (site_id),
    sequence   INTEGER NOT NULL,
    device_id  TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (site_id, sequence)
);

CREATE TABLE commands (
    command_id      TEXT PRIMARY KEY,
    site_id         TEXT NOT NULL REFERENCES sites (site_id),
    device_id       TEXT NOT NULL,
    type            TEXT NOT NULL,
    parameters_json TEXT NOT NULL,
    status          TEXT NOT NULL,
    message         TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    finished_at     INTEGER
);
CREATE INDEX commands_by_device ON commands (site_id, device_id);

-- Each site's downstream feed: the serialised HubChange at its gap-free position.
CREATE TABLE feed (
    site_id  TEXT NOT NULL REFERENCES sites (site_id),
    position INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    change   BLOB NOT NULL,
    PRIMARY KEY (site_id, position)
);

CREATE TABLE blueprints (
    group_name     TEXT PRIMARY KEY,
    blueprint_json TEXT NOT NULL,
    token          TEXT NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE enrollment_tokens (
    token_hash TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL REFERENCES sites (site_id),
    group_name TEXT NOT NULL,
    uses       INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- A single row locked by writes that fan out to every site (blueprints) or add a site, so a new site can
-- never miss a blueprint written at the same moment.
CREATE TABLE catalog_lock (id INTEGER PRIMARY KEY CHECK (id = 1));
INSERT INTO catalog_lock (id) VALUES (1);
