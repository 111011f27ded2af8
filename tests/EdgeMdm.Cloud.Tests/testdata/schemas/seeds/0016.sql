INSERT INTO approvals (approval_id, tenant_id, action, command_type, target, targets_json, parameters_json, expires_in_seconds, reason, requested_by, requested_at, expires_at, status) VALUES
  ('appr-fixture-1', 'default', 'Wipe', 'wipe', 'dev-fixture-1', '["dev-fixture-1"]', '{"reason":"lost"}', NULL, 'lost', 'admin', 1764001600000, 1900000000000, 'Pending');
