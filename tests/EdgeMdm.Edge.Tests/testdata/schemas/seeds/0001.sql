-- Level 1: a seeded site (clear blueprints, as appliances before blueprint protection stored them), a token, three
-- enrolled devices whose secrets are fixture-secret-d1..d3 (SHA-256 below), their history, apps and commands.
INSERT INTO site (id, site_id, name) VALUES (1, 'dc-demo-01', 'Demo distribution centre');
INSERT INTO blueprints (group_name, blueprint, declarations_token, updated_at) VALUES
  ('pickers', '{"group":"pickers","apps":[{"packageName":"com.edgemdm.sample.scanner","versionCode":100,"versionName":"1.0.0"}],"os":{"minVersion":"13"},"configurations":[{"id":"wifi-floor","values":{"ssid":"WH-FLOOR"}}],"certificates":[],"batteryHealthFloorPercent":75}', 'fixture-token-pickers', 1764000000000);
INSERT INTO enrollment_tokens (token_hash, token_prefix, group_name, uses_allowed, uses_count, expires_at, created_at, created_by) VALUES
  ('3a2f2259521d83599e1aca40cd0ae445ea1d88bed7e42e0aa5bdd6e5bc1b57ea', 'fixture-', 'pickers', 100, 3, 1900000000000, 1764000000000, 'seed');
INSERT INTO devices (id, serial, model, manufacturer, os_version, agent_version, group_name, state, secret_hash, enrolled_at, last_checkin_at, checkin_count, reported_declarations_token, status, compliant, findings) VALUES
  ('dev-fixture-1', 'FIX-0001', 'TC52', 'Zebra', '14', '1.0.0', 'pickers', 'Active', 'c14601d800ac5b160ade9cddd27ef60654364d5431dba2be978492cf22d4cbe9', 1764000001000, 1764000100000, 4, 'fixture-token-pickers', '{}', 1, '[]'),
  ('dev-fixture-2', 'FIX-0002', 'TC52', 'Zebra', '14', '1.0.0', 'pickers', 'Staging', 'a8ee1029fb73a1e246fb1fb90a015f944f286d711af31a2d576c2329b4069313', 1764000002000, NULL, 0, NULL, '{}', 0, '[]'),
  ('dev-fixture-3', 'FIX-0003', 'TC57', 'Zebra', '13', '1.0.0', 'pickers', 'Retired', 'e17980df0097887ef7a51310f0e88516fdf90024fc4cead3317397933aeab80d', 1764000003000, 1764000200000, 9, NULL, '{}', 0, '[]');
INSERT INTO device_transitions (device_id, from_state, to_state, actor, reason, at) VALUES
  ('dev-fixture-1', NULL, 'Staging', 'device', 'enrolled', 1764000001000),
  ('dev-fixture-1', 'Staging', 'Active', 'device', 'staging done', 1764000050000),
  ('dev-fixture-2', NULL, 'Staging', 'device', 'enrolled', 1764000002000),
  ('dev-fixture-3', NULL, 'Staging', 'device', 'enrolled', 1764000003000),
  ('dev-fixture-3', 'Active', 'Retired', 'admin', 'broken screen', 1764000300000);
INSERT INTO installed_apps (device_id, package_name, version_code, version_name) VALUES
  ('dev-fixture-1', 'com.edgemdm.sample.scanner', 100, '1.0.0');
INSERT INTO commands (id, device_id, type, parameters, status, created_at, created_by, expires_at, delivered_at, result_message, result_at, completed_at) VALUES
  ('cmd-fixture-1', 'dev-fixture-1', 'reboot', '{}', 'succeeded', 1764000060000, 'admin', NULL, 1764000070000, 'ok', 1764000080000, 1764000080000),
  ('cmd-fixture-2', 'dev-fixture-1', 'ring', '{}', 'queued', 1764000090000, 'admin', 1900000000000, NULL, NULL, NULL, NULL),
  ('hub-fixture-3', 'dev-fixture-2', 'ring', '{}', 'queued', 1764000095000, 'hub', NULL, NULL, NULL, NULL, NULL);
