-- The broker's counters are instruments of the running appliance now (/metrics; `mqtt status` reads them from it):
-- nothing writes this table any more.
DROP TABLE IF EXISTS mqtt_stats;
