INSERT INTO battery_samples (battery, device_id, at, level, health, cycles, charging, docked, time_to_full) VALUES
  ('BAT-0001', 'dev-fixture-1', 1764001500000, 80, 95, 120, 1, 1, 40);
