INSERT INTO rollouts (rollout_id, tenant_id, group_name, package_name, from_version_code, from_version_name, to_version_code, to_version_name, plan_json, started_at, superseded_at) VALUES
  ('rollout-fixture-1', 'default', 'pickers', 'com.edgemdm.sample.scanner', 90, '0.9.0', 100, '1.0.0', '{}', 1764000500000, NULL);
