INSERT INTO cradle_observations (cradle_id, slot, source, content, serial, device_id, charge, charging, fault, observed_at) VALUES
  ('cradle-bay-1', 1, 'mqtt', 'device', 'FIX-0001', 'dev-fixture-1', 80, 1, NULL, 1764001300000);
