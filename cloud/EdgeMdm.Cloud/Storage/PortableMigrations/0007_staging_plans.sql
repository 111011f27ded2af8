-- Issue 24: staging plans and the per-step progress sites report. The same text for both backends.

-- A tenant's staging plans, by name (a blueprint's stagingPlan names one). plan_redacted_json: the domain
-- StagingPlan with every secret written "(secret)", what list and get show. plan_protected: the clear JSON
-- (secrets included) protected with ASP.NET Core Data Protection (purpose EdgeMdm.Cloud.StagingPlans.v1, the
-- hub's key ring in its keys directory), the only form the secrets are stored in. content_hash: the plan's
-- StagingPlan.ContentHash, what devices report having run.
CREATE TABLE staging_plans (
    tenant_id          TEXT NOT NULL REFERENCES tenants (tenant_id),
    name               TEXT NOT NULL,
    plan_redacted_json TEXT NOT NULL,
    plan_protected     TEXT NOT NULL,
    content_hash       TEXT NOT NULL,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- Every StagingStepReported a site sent, once each: keyed by the change's place in the site's log, which the
-- upstream applies exactly once (sites.applied_through). The latest row per device and step is its state.
CREATE TABLE staging_step_reports (
    site_id       TEXT NOT NULL REFERENCES sites (site_id),
    sequence      BIGINT NOT NULL,
    device_id     TEXT NOT NULL,
    plan_name     TEXT NOT NULL,
    plan_hash     TEXT NOT NULL,
    step_id       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    error         TEXT,
    started_at    BIGINT,
    finished_at   BIGINT,
    reported_at   BIGINT NOT NULL,
    PRIMARY KEY (site_id, sequence)
);
CREATE INDEX staging_step_reports_by_device ON staging_step_reports (site_id, device_id, step_id, sequence);
-- A state change is one per device, plan version, step, state and attempt: a site that numbers its log again
-- (after the hub lost part of it) may send one twice under a new sequence; the second changes nothing.
CREATE UNIQUE INDEX staging_step_reports_once ON staging_step_reports (site_id, device_id, plan_hash, step_id, state, attempts);
