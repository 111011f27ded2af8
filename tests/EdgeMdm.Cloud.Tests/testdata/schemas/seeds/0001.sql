-- Level 1: a site whose credential is fixture-site-credential (SHA-256 below), what it reported (devices, a transition),
-- commands for it, a blueprint in clear (as hubs before blueprint protection stored them), an enrollment token, an API token.
INSERT INTO sites (site_id, name, credential_hash, applied_through, feed_head, last_sync_at, created_at) VALUES
  ('fixture-dc', 'Fixture DC', '07930957fee0768306c3645b23c15ccd92d51442f48813af918d2ccfd0d76254', 4, 0, 1764000100000, 1764000000000);
INSERT INTO devices (site_id, device_id, serial, model, manufacturer, os_version, agent_version, group_name, state, status_json, compliant, findings_json, finding_count, declarations_token, last_checkin) VALUES
  ('fixture-dc', 'dev-fixture-1', 'FIX-0001', 'TC52', 'Zebra', '14', '1.0.0', 'pickers', 'Active', '{}', TRUE, '[]', 0, 'fixture-token-pickers', 1764000100000),
  ('fixture-dc', 'dev-fixture-2', 'FIX-0002', 'TC52', 'Zebra', '14', '1.0.0', 'pickers', 'Staging', '{}', FALSE, '[]', 0, '', NULL);
INSERT INTO transitions (site_id, sequence, device_id, from_state, to_state, actor, reason, at) VALUES
  ('fixture-dc', 3, 'dev-fixture-1', 'Staging', 'Active', 'device', 'staging done', 1764000050000);
INSERT INTO commands (command_id, site_id, device_id, type, parameters_json, status, message, created_by, created_at, expires_at, finished_at) VALUES
  ('hub-fixture-1', 'fixture-dc', 'dev-fixture-1', 'reboot', '{}', 'succeeded', 'ok', 'admin', 1764000060000, NULL, 1764000080000),
  ('hub-fixture-2', 'fixture-dc', 'dev-fixture-2', 'ring', '{}', 'queued', '', 'admin', 1764000090000, 1900000000000, NULL);
INSERT INTO blueprints (group_name, blueprint_json, token, updated_at) VALUES
  ('pickers', '{"group":"pickers","apps":[{"packageName":"com.edgemdm.sample.scanner","versionCode":100,"versionName":"1.0.0"}],"os":{"minVersion":"13"},"configurations":[{"id":"wifi-floor","values":{"ssid":"WH-FLOOR"}}],"certificates":[],"batteryHealthFloorPercent":75}', 'fixture-token-pickers', 1764000000000);
INSERT INTO enrollment_tokens (token_hash, site_id, group_name, uses, expires_at, created_at) VALUES
  ('3a2f2259521d83599e1aca40cd0ae445ea1d88bed7e42e0aa5bdd6e5bc1b57ea', 'fixture-dc', 'pickers', 100, 1900000000000, 1764000000000);
INSERT INTO api_tokens (token_hash, name, created_at) VALUES ('d4c50e697efa6c100111e47f12f5e769ee62da66cde8498a8c184b69302a2dbd', 'ci', 1764000000000);
