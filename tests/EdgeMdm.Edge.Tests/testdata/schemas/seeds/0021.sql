INSERT INTO approvals (id, action, command_type, target, device_ids, parameters, expires_in_ms, reason, requested_by, requested_at, expires_at, status) VALUES
  ('appr-fixture-1', 'Wipe', 'wipe', 'dev-fixture-3', '["dev-fixture-3"]', '{"reason":"lost"}', NULL, 'lost', 'admin', 1764002100000, 1900000000000, 'Pending');
