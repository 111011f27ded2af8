INSERT INTO site_users (user_name, role, password_hash, updated_at) VALUES ('sam', 'supervisor', 'fixture-not-a-usable-hash', 1764000400000);
