INSERT INTO staging_batches (site_id, batch_id, group_name, plan_name, device_count, expires_at, created_at) VALUES
  ('fixture-dc', 'batch-fixture-1', 'pickers', '', 2, 1900000000000, 1764000800000);
UPDATE devices SET staging_batch_id = 'batch-fixture-1' WHERE device_id = 'dev-fixture-2';
