INSERT INTO packages (tenant_id, sha256, package_name, version_code, version_name, size_bytes, min_os_version, published_at, signature, key_id) VALUES
  ('default', '1d58907e64cc82808cc22f3525edeec6a73fc1521d6b951b24b33b01f687dac4', 'com.edgemdm.sample.scanner', 100, '1.0.0', 1048576, NULL, 1764000000, 'c2lnbmF0dXJl', 'fixture-key');
