UPDATE devices SET enrolled_at = 1764000001000 WHERE device_id = 'dev-fixture-1';
