using System.Text.Json;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;
using EdgeMdm.Domain.Text;

namespace EdgeMdm.Cloud.Rollouts;

internal sealed class SqlRolloutRecorder(TimeProvider time, ILogger<SqlRolloutRecorder> logger) : IRolloutRecorder
{
    public Blueprint WithRollouts(Blueprint incoming, Blueprint? held)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var before = (held?.Apps ?? []).ToDictionary(a => a.PackageName, StringComparer.Ordinal);
        var apps = incoming.Apps.Select(app =>
        {
            // Only the plan is central IT's to give: an id or from-version in the request (a blueprint read back
            // from the hub and sent again) is the hub's to decide.
            var given = app.Rollout is { } named ? app with { Rollout = new AppRollout(named.Plan) } : app;
            var plan = app.Rollout?.Plan ?? RolloutPlan.Default;
            if (!before.TryGetValue(app.PackageName, out var previous))
                return given;
            if (previous.VersionCode == app.VersionCode)
            {
                return previous.Rollout is { Id: not null } current
                    ? app with { Rollout = current with { Plan = plan } }
                    : given;
            }

            // Whole milliseconds, as stored: the site counts the plan's time limits from the very instant the hub reports.
            var now = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
            return app with
            {
                Rollout = AppRollout.Replacing(previous, plan, Guid.CreateVersion7(now).ToString("N"), app.VersionCode) with { StartedAt = now },
            };
        }).ToList();
        return incoming with { Apps = apps };
    }

    public async Task RecordAsync(HubSession session, string tenantId, Blueprint stored, Blueprint? held)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(stored);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var kept = stored.Apps.Select(a => a.PackageName).ToHashSet(StringComparer.Ordinal);
        var heldRollouts = (held?.Apps ?? []).Where(a => a.Rollout?.Id is not null).ToDictionary(a => a.PackageName, a => a.Rollout!.Id!, StringComparer.Ordinal);
        foreach (var removed in heldRollouts.Keys.Where(p => !kept.Contains(p)).Order(StringComparer.Ordinal))
            await SupersedeAsync(session, tenantId, stored.Group, removed, now);

        foreach (var app in stored.Apps.OrderBy(a => a.PackageName, StringComparer.Ordinal))
        {
            if (app.Rollout is not { Id: { } id } rollout)
                continue;
            var planJson = JsonSerializer.Serialize(rollout.Plan, CloudJson.Default.RolloutPlan);
            if (heldRollouts.TryGetValue(app.PackageName, out var heldId) && string.Equals(heldId, id, StringComparison.Ordinal))
            {
                await session.ExecuteAsync("UPDATE rollouts SET plan_json = ? WHERE rollout_id = ?", planJson, id);
                continue;
            }

            await SupersedeAsync(session, tenantId, stored.Group, app.PackageName, now);
            await session.ExecuteAsync(
                """
                INSERT INTO rollouts (rollout_id, tenant_id, group_name, package_name, from_version_code, from_version_name,
                                      to_version_code, to_version_name, plan_json, started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                id, tenantId, stored.Group, app.PackageName, rollout.FromVersionCode ?? 0, rollout.FromVersionName ?? "",
                app.VersionCode, app.VersionName, planJson, rollout.StartedAt?.ToUnixTimeMilliseconds() ?? now);
            var plan = rollout.Plan;
            var waves = string.Join(", ", plan.Waves.Select(RolloutReporter.LabelOf));
            var threshold = HaltReasonPercent(plan.WaveAdvanceShare);
            var timeLimit = DurationText.Format(plan.TimeLimitPerWave());
            var stragglerAfter = DurationText.Format(plan.StragglerSilence());
            RolloutLog.Started(
                logger, id, tenantId, stored.Group, app.PackageName, rollout.FromVersionName ?? "", app.VersionName, waves, threshold, timeLimit, stragglerAfter);
        }
    }

    private static string HaltReasonPercent(decimal share) => (share * 100m).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " %";

    public Task EndGroupAsync(HubSession session, string tenantId, string group)
    {
        ArgumentNullException.ThrowIfNull(session);
        return SupersedeAsync(session, tenantId, group, packageName: null, time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    private static Task<int> SupersedeAsync(HubSession s, string tenantId, string group, string? packageName, long now) =>
        packageName is null
            ? s.ExecuteAsync(
                "UPDATE rollouts SET superseded_at = ? WHERE tenant_id = ? AND group_name = ? AND superseded_at IS NULL", now, tenantId, group)
            : s.ExecuteAsync(
                "UPDATE rollouts SET superseded_at = ? WHERE tenant_id = ? AND group_name = ? AND package_name = ? AND superseded_at IS NULL",
                now, tenantId, group, packageName);
}
