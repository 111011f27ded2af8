INSERT INTO spare_pools (model, minimum, updated_at, updated_by) VALUES ('TC52', 1, 1764001400000, 'admin');
UPDATE devices SET assignment = 'north-dock' WHERE id = 'dev-fixture-1';
