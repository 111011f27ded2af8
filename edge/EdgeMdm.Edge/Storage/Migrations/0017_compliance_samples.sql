-- Issue 26: floor-truth compliance sampled every 15 minutes, for the supervisor's "last 24 hours" chart (kept 7 days).
CREATE TABLE compliance_samples (
    at             INTEGER PRIMARY KEY,
    devices        INTEGER NOT NULL,
    compliant      INTEGER NOT NULL,
    non_compliant  INTEGER NOT NULL,
    unknown        INTEGER NOT NULL
);
