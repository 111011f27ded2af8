-- 0003: the coalescing lookup moves from an index over the outbox to the device's own row.
-- outbox_device_kind indexed every outbox row by device, so acknowledging a batch of 200 sequential rows
-- rewrote ~200 scattered index pages (about 1 MiB of WAL per batch during a catch-up). The outbox is now
-- a plain log: appends at the end, deletes from the front, nothing scattered.

-- The sequence of the device's newest status row in the outbox; a check-in folds into it while no push has
-- read it (sequence > sync_state.offered_through), otherwise it appends a new row and records it here.
ALTER TABLE devices ADD COLUMN pending_status_sequence INTEGER;

UPDATE devices SET pending_status_sequence =
    (SELECT max(sequence) FROM outbox WHERE outbox.device_id = devices.id AND outbox.kind = 'status');

DROP INDEX outbox_device_kind;
