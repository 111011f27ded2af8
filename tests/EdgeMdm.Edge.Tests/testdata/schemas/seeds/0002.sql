-- Level 2: changes waiting for the hub (payloads are opaque to the schema) and a recorded sync position.
INSERT INTO outbox (at, device_id, kind, payload) VALUES
  (1764000001000, 'dev-fixture-1', 'enrolled', x'0a01'),
  (1764000100000, 'dev-fixture-1', 'status', x'0a02'),
  (1764000110000, 'dev-fixture-1', 'status', x'0a03'),
  (1764000300000, 'dev-fixture-3', 'transitioned', x'0a04');
UPDATE sync_state SET offered_through = 1, acked_through = 1, feed_position = 7 WHERE id = 1;
