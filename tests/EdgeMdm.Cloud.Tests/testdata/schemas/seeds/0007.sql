INSERT INTO staging_step_reports (site_id, sequence, device_id, plan_name, plan_hash, step_id, kind, state, attempts, error, started_at, finished_at, reported_at) VALUES
  ('fixture-dc', 5, 'dev-fixture-2', 'standard', 'fixture-plan-hash', 'wifi', 'configuration', 'succeeded', 1, NULL, 1764000700000, 1764000710000, 1764000720000);
