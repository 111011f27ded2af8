-- Issue 26: when the device last (re)enrolled at its site (the Enrolled change's time), so a device that enrolled a
-- short while ago and has not reported yet reads "unknown", and one silent since long ago "stale"
-- (EdgeMdm.Domain.Drift.ComplianceClassifier). NULL for a device enrolled before this column: its enrollment time is
-- not known. Both backends (SQLite reads BIGINT as INTEGER).
ALTER TABLE devices ADD COLUMN enrolled_at BIGINT;
