-- Issue 4: rollouts. The same text for both backends.

-- A rollout starts when a blueprint upsert changes the version code of an app the group already had (an app
-- new to the group has nothing to roll from). rollout_id: UUID v7 text, the key the sites and the hub hash
-- devices into waves with. plan_json: the RolloutPlan (camelCase JSON), replaced when only the plan changes.
-- superseded_at: when a newer version of the app in the group, the app's removal or the blueprint's deletion
-- ended it; NULL while it is the group's current rollout of the package (at most one such row).
CREATE TABLE rollouts (
    rollout_id        TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (tenant_id),
    group_name        TEXT NOT NULL,
    package_name      TEXT NOT NULL,
    from_version_code BIGINT NOT NULL,
    from_version_name TEXT NOT NULL,
    to_version_code   BIGINT NOT NULL,
    to_version_name   TEXT NOT NULL,
    plan_json         TEXT NOT NULL,
    started_at        BIGINT NOT NULL,
    superseded_at     BIGINT
);
CREATE INDEX rollouts_by_package ON rollouts (tenant_id, package_name, group_name);
