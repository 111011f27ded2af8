-- 0009: staging plans cached from the hub's feed (or the seed), and each device's progress through its plan.
-- A plan's secrets (Wi-Fi keys, enterprise passwords) are never at rest in clear: plan_protected is the plan's clear
-- JSON protected with ASP.NET Core Data Protection (purpose EdgeMdm.Edge.StagingPlans.v1, key ring DATA/keys).
CREATE TABLE staging_plans (
    name          TEXT PRIMARY KEY,
    plan_protected TEXT NOT NULL,
    content_hash  TEXT NOT NULL,             -- StagingPlan.ContentHash: what devices report having run
    step_summary  TEXT NOT NULL,             -- the steps in short, no secret (StagingPlanDiff.Describe), for `staging plans`
    updated_at    INTEGER NOT NULL           -- Unix ms
);

-- The latest state a device reported of each step of its plan. One row per device and step; a report of the device's
-- plan replaces its rows. started_at/finished_at as the device reported them (Unix ms).
CREATE TABLE staging_step_progress (
    device_id     TEXT NOT NULL REFERENCES devices(id),
    step_id       TEXT NOT NULL,
    step_index    INTEGER NOT NULL,          -- the step's place in the plan
    plan_name     TEXT NOT NULL,
    plan_hash     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL,             -- pending | running | succeeded | failed
    attempts      INTEGER NOT NULL,
    error         TEXT,
    started_at    INTEGER,
    finished_at   INTEGER,
    updated_at    INTEGER NOT NULL,          -- Unix ms, when the appliance stored the report
    PRIMARY KEY (device_id, step_id)
);
