INSERT INTO declaration_versions (device_id, token, version, updated_at) VALUES ('dev-fixture-1', 'fixture-token-pickers', 2, 1764002000000);
