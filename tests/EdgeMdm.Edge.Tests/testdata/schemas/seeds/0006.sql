INSERT INTO mqtt_clients (client_id, role, secret_hash, broker_hash, created_at, created_by) VALUES
  ('cradle-bay-1', 'cradle', 'fixture-not-a-usable-hash', 'fixture-not-a-usable-hash', 1764000600000, 'admin');
UPDATE devices SET broker_hash = 'fixture-not-a-usable-hash' WHERE id = 'dev-fixture-1';
INSERT INTO device_wakes (device_id, reason, queued_at) VALUES ('dev-fixture-1', 'command', 1764000610000);
INSERT INTO mqtt_stats VALUES (1, 'embedded', '127.0.0.1:8883', 1764000600000, 1764000620000, 1, 2, 0, 0, 0, 0, 1);
