INSERT INTO staging_batches (id, group_name, plan_name, device_count, token_hash, created_at, expires_at, created_by) VALUES
  ('batch-fixture-1', 'pickers', NULL, 2, '132a74d5ef55b249a8c88d35d8a37d9194e206436b757d017373b65339dbd12e', 1764001000000, 1900000000000, 'admin');
INSERT INTO staging_batch_members (device_id, batch_id, slot, enrolled_at) VALUES ('dev-fixture-2', 'batch-fixture-1', 1, 1764001010000);
