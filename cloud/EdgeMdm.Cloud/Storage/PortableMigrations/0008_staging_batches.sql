-- Issue 24: the staging batches sites make (SiteChange.staging_batch_created), once each (keyed by site and batch, so a
-- replayed change inserts nothing), and the batch whose token enrolled a device (DeviceEnrolled.batch_id; empty when
-- none). The same text for both backends.
CREATE TABLE staging_batches (
    site_id      TEXT NOT NULL REFERENCES sites (site_id),
    batch_id     TEXT NOT NULL,
    group_name   TEXT NOT NULL,
    plan_name    TEXT NOT NULL DEFAULT '',
    device_count BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (site_id, batch_id)
);

ALTER TABLE devices ADD COLUMN staging_batch_id TEXT NOT NULL DEFAULT '';
