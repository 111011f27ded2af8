-- Issue 25: who or what a device is handed out to at its site ("picker 12", "route 7"), as the site's DeviceReassigned
-- events say (a swap moves it to the spare). NULL: unassigned. The same text for both backends.
ALTER TABLE devices ADD COLUMN assignment TEXT;
