-- Issue 27: dangerous actions waiting for a second person. A wipe of more than Edge:DangerousActions:WipeApprovalThreshold
-- devices in one request is stored here instead of queued; approving it (another person, a role that may wipe, before
-- expires_at) queues its commands once, in the same transaction that marks the row approved. device_ids: the devices
-- the request reached when it was made (JSON array of ids), so an approver approves what the requester saw.
CREATE TABLE approvals (
    id            TEXT PRIMARY KEY,
    action        TEXT NOT NULL,      -- DangerousAction: Wipe
    command_type  TEXT NOT NULL,
    target        TEXT NOT NULL,      -- what the requester named: a device, or "group NAME"
    device_ids    TEXT NOT NULL,
    parameters    TEXT NOT NULL,      -- JSON object, the command's parameters (the reason among them)
    expires_in_ms INTEGER,            -- the command's own delivery window, counted from the approval; NULL: none
    reason        TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    requested_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,   -- Unix ms: no approval at or after it
    status        TEXT NOT NULL,      -- Pending | Approved
    approved_by   TEXT,
    approved_at   INTEGER,
    command_ids   TEXT                -- JSON array, once approved
);

CREATE INDEX approvals_by_status ON approvals (status, requested_at);
