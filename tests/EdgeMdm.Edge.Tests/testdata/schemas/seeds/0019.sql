INSERT INTO hub_keys (key_id, public_key_pem, trusted_at, retired_at) VALUES ('fixture-retired-key', 'fixture-pem', 1764001900000, 1764001950000);
