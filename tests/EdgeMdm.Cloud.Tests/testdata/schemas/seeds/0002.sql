UPDATE sites SET outbox_head = 9, outbox_depth = 2, oldest_pending_at = 1764000200000, uplink_state = 'Connected', site_last_sync_at = 1764000200000, reported_at = 1764000200000 WHERE site_id = 'fixture-dc';
UPDATE commands SET reason = 'stuck scanner' WHERE command_id = 'hub-fixture-1';
