INSERT INTO reenroll_allowances (device_id, state, granted_by, reason, granted_at, expires_at) VALUES
  ('dev-fixture-2', 'Staging', 'admin', 'factory reset', 1764000700000, 1900000000000);
