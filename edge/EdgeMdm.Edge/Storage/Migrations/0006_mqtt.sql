-- 0006: the MQTT side of the appliance (issue 5): credentials of the clients that are not devices, the wakes
-- still to publish, and the broker's counters for `edgemdm-edge mqtt status`.

-- Cradles and site tools. Devices log in with their own credential (devices.secret_hash), never here.
CREATE TABLE mqtt_clients (
    client_id   TEXT PRIMARY KEY,          -- the MQTT user name, e.g. cradle-bay-3
    role        TEXT NOT NULL,             -- cradle | tool
    secret_hash TEXT NOT NULL,             -- PBKDF2-SHA256 in EdgeMdm.Domain's self-describing format
    broker_hash TEXT NOT NULL,             -- the same secret in Mosquitto's password-file format, for an external broker
    created_at  INTEGER NOT NULL,          -- Unix ms
    created_by  TEXT NOT NULL
);

-- A device's secret in Mosquitto's password-file format ($7$, PBKDF2-SHA512), made at enrollment when the clear
-- secret is at hand, so an external broker can check devices' logins. NULL for devices enrolled before this step.
ALTER TABLE devices ADD COLUMN broker_hash TEXT;

-- Devices to wake, written in the same transaction as what gives them work (a command, a staging step), by
-- whichever process wrote it; the serving appliance publishes each on the device's wake topic and deletes it.
CREATE TABLE device_wakes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    reason    TEXT NOT NULL,               -- command | declarations | staging
    queued_at INTEGER NOT NULL             -- Unix ms
);

-- The serving appliance's broker counters since it started, written every few seconds; one row.
CREATE TABLE mqtt_stats (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    mode               TEXT NOT NULL,      -- embedded | external
    endpoints          TEXT NOT NULL,      -- where it listens (embedded) or the broker it publishes to (external)
    started_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    connected          INTEGER NOT NULL,
    logins_accepted    INTEGER NOT NULL,
    logins_refused     INTEGER NOT NULL,
    subscribe_denied   INTEGER NOT NULL,
    publish_denied     INTEGER NOT NULL,
    malformed_dropped  INTEGER NOT NULL,
    wakes_published    INTEGER NOT NULL
);
