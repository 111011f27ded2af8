-- Issue 27: signed desired state. Each device's declaration set is signed as one with a version the agent refuses to
-- see go back (rollback). The version is raised every time the declarations token handed to the device changes, and
-- kept here so it survives restarts. A restore of an older edge.db brings older versions back: the agents that hold a
-- newer set refuse the older version and report it (docs/security.md), they never take it silently.
CREATE TABLE declaration_versions (
    device_id   TEXT PRIMARY KEY REFERENCES devices(id),
    token       TEXT NOT NULL,      -- the declarations token the version was given for
    version     INTEGER NOT NULL,   -- from 1, raised by one per token change
    updated_at  INTEGER NOT NULL
);

-- Where a command was made, signed with it for the device: 'hub' (central IT, through the feed) or 'site' (an operator,
-- a supervisor, the appliance itself). Commands queued before this migration are told apart by their ids: the
-- appliance's own are 'cmd-' followed by hex, the hub's are GUIDs.
ALTER TABLE commands ADD COLUMN origin TEXT NOT NULL DEFAULT 'site';
UPDATE commands SET origin = 'hub' WHERE id NOT LIKE 'cmd-%';
