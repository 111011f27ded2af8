-- Issue 27: dangerous actions waiting for a second person at the hub. A wipe of more than
-- Cloud:DangerousActions:WipeApprovalThreshold devices in one request (POST /api/v1/commands) is stored here instead of
-- queued; approving it (another person, a role that may send it, before expires_at) queues its commands in the same
-- transaction as the update that marks the row approved, which only a pending, unexpired row passes: once, whatever
-- the replicas. targets_json: the (site, device) pairs the request reached when made. The same text for both backends.
CREATE TABLE approvals (
    approval_id        TEXT NOT NULL PRIMARY KEY,
    tenant_id          TEXT NOT NULL,
    action             TEXT NOT NULL,
    command_type       TEXT NOT NULL,
    target             TEXT NOT NULL,
    targets_json       TEXT NOT NULL,
    parameters_json    TEXT NOT NULL,
    expires_in_seconds BIGINT,
    reason             TEXT NOT NULL,
    requested_by       TEXT NOT NULL,
    requested_at       BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    status             TEXT NOT NULL,
    approved_by        TEXT,
    approved_at        BIGINT,
    command_ids_json   TEXT
);

CREATE INDEX approvals_by_tenant ON approvals (tenant_id, status, requested_at);
