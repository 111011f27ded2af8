-- 0007: operators' allowances for a known device to enroll again (`edgemdm-edge devices allow-reenroll`).
-- An Active or Quarantined device re-enrolls only with its current secret or one of these (Domain Reenrollment).
-- Rows are never deleted: they are the site's record of who let which device be taken over, when and why. sync.proto
-- has no change for a grant, so the hub learns of an allowance only when it is used, from the reason of the
-- re-enrollment's lifecycle transition.
CREATE TABLE reenroll_allowances (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id     TEXT NOT NULL REFERENCES devices(id),
    state         TEXT NOT NULL,             -- the device's lifecycle state when it was granted
    granted_by    TEXT NOT NULL,
    reason        TEXT NOT NULL,
    granted_at    INTEGER NOT NULL,          -- Unix ms
    expires_at    INTEGER NOT NULL,          -- Unix ms; an open row past it allows nothing
    closed_at     INTEGER,                   -- Unix ms; NULL while open
    outcome       TEXT,                      -- used | replaced | revoked; NULL while open
    closed_by     TEXT                       -- the enrollment that used it, the grant that replaced it, the state change that revoked it
);
CREATE INDEX reenroll_allowances_open ON reenroll_allowances(device_id) WHERE closed_at IS NULL;
