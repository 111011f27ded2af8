-- Issue 3: what each site reports of its own sync in Hello, and why a command was sent. The same text for
-- both backends (SQLite reads BIGINT as INTEGER).

-- The site's report, as of its last Hello (reported_at, hub time). NULL until a site that reports it says hello.
-- outbox_head: the highest sequence the site had written; the hub's backlog view is outbox_head minus
-- applied_through, so it shrinks as pushes are applied, between reports.
ALTER TABLE sites ADD COLUMN outbox_head BIGINT;
ALTER TABLE sites ADD COLUMN outbox_depth BIGINT;
ALTER TABLE sites ADD COLUMN oldest_pending_at BIGINT;
ALTER TABLE sites ADD COLUMN uplink_state TEXT;
ALTER TABLE sites ADD COLUMN site_last_sync_at BIGINT;
ALTER TABLE sites ADD COLUMN reported_at BIGINT;

ALTER TABLE commands ADD COLUMN reason TEXT NOT NULL DEFAULT '';

-- Commands by device id (no site given) and by group look devices up across sites.
CREATE INDEX devices_by_device ON devices (device_id);
CREATE INDEX devices_by_group ON devices (group_name);
