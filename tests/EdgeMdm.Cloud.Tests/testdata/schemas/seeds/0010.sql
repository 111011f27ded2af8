UPDATE devices SET assignment = 'north-dock' WHERE device_id = 'dev-fixture-1';
