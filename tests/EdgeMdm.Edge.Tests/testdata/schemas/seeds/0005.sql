INSERT INTO packages (sha256, package_name, version_code, version_name, size_bytes, min_os_version, published_at, signature, received_at) VALUES
  ('1d58907e64cc82808cc22f3525edeec6a73fc1521d6b951b24b33b01f687dac4', 'com.edgemdm.sample.scanner', 100, '1.0.0', 1048576, NULL, 1764000000, 'c2lnbmF0dXJl', 1764000500000);
INSERT INTO package_cache (sha256, size_bytes, bytes_held, complete, last_used_at) VALUES ('1d58907e64cc82808cc22f3525edeec6a73fc1521d6b951b24b33b01f687dac4', 1048576, 4096, 0, 1764000500000);
UPDATE package_cache_counters SET hits = 5, misses = 1 WHERE id = 1;
