using System.Text.Json;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Cloud.Storage;

// Rollouts (issue 4): started, kept and ended by blueprint upserts, inside their transaction.
public sealed partial class SqlHubStore
{
    public async Task<IReadOnlyList<RolloutRecord>> ListRolloutsAsync(string tenantId, string packageName, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(
            """
            SELECT rollout_id, group_name, package_name, from_version_code, from_version_name, to_version_code, to_version_name,
                   plan_json, started_at, superseded_at
            FROM rollouts WHERE tenant_id = ? AND package_name = ? ORDER BY group_name, started_at, rollout_id
            """,
            tenantId, packageName);
        return rows.Select(r => new RolloutRecord(
            r.Text(0), r.Text(1), r.Text(2), r.Long(3), r.Text(4), r.Long(5), r.Text(6),
            JsonSerializer.Deserialize(r.Text(7), CloudJson.Default.RolloutPlan) ?? throw new InvalidDataException("a stored rollout plan is null"),
            DateTimeOffset.FromUnixTimeMilliseconds(r.Long(8)),
            Time(r.NullableLong(9)))).ToList();
    }

    /// <summary>
    /// The blueprint to store for <paramref name="incoming"/>, given what the group held before: each app whose
    /// version code changed gets a new rollout (the plan the file named or <see cref="RolloutPlan.Default"/>, an id,
    /// the version it rolls from and the versions waiting devices keep, <see cref="AppRollout.Replacing"/>); an app whose version did not change keeps the rollout it had, with the plan the
    /// file names now. An app new to the group gets none: there is nothing to roll from. Nothing is written here;
    /// <see cref="RecordRolloutsAsync"/> writes it once the upsert is known to change something.
    /// </summary>
    private Blueprint WithRollouts(Blueprint incoming, Blueprint? held)
    {
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

            return app with { Rollout = AppRollout.Replacing(previous, plan, Guid.CreateVersion7(_time.GetUtcNow()).ToString("N"), app.VersionCode) };
        }).ToList();
        return incoming with { Apps = apps };
    }

    /// <summary>
    /// Writes what <see cref="WithRollouts"/> decided: a new rollout supersedes the group's current one of the
    /// package, a kept one takes the plan it has now, and an app the group no longer names ends its rollout.
    /// </summary>
    private async Task RecordRolloutsAsync(HubSession s, string tenantId, Blueprint stored, Blueprint? held)
    {
        var now = NowMs;
        var kept = stored.Apps.Select(a => a.PackageName).ToHashSet(StringComparer.Ordinal);
        var heldRollouts = (held?.Apps ?? []).Where(a => a.Rollout?.Id is not null).ToDictionary(a => a.PackageName, a => a.Rollout!.Id!, StringComparer.Ordinal);
        foreach (var removed in heldRollouts.Keys.Where(p => !kept.Contains(p)).Order(StringComparer.Ordinal))
            await SupersedeAsync(s, tenantId, stored.Group, removed, now);

        foreach (var app in stored.Apps.OrderBy(a => a.PackageName, StringComparer.Ordinal))
        {
            if (app.Rollout is not { Id: { } id } rollout)
                continue;
            var planJson = JsonSerializer.Serialize(rollout.Plan, CloudJson.Default.RolloutPlan);
            if (heldRollouts.TryGetValue(app.PackageName, out var heldId) && string.Equals(heldId, id, StringComparison.Ordinal))
            {
                await s.ExecuteAsync("UPDATE rollouts SET plan_json = ? WHERE rollout_id = ?", planJson, id);
                continue;
            }

            await SupersedeAsync(s, tenantId, stored.Group, app.PackageName, now);
            await s.ExecuteAsync(
                """
                INSERT INTO rollouts (rollout_id, tenant_id, group_name, package_name, from_version_code, from_version_name,
                                      to_version_code, to_version_name, plan_json, started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                id, tenantId, stored.Group, app.PackageName, rollout.FromVersionCode ?? 0, rollout.FromVersionName ?? "",
                app.VersionCode, app.VersionName, planJson, now);
        }
    }

    private static Task<int> SupersedeAsync(HubSession s, string tenantId, string group, string? packageName, long now) =>
        packageName is null
            ? s.ExecuteAsync(
                "UPDATE rollouts SET superseded_at = ? WHERE tenant_id = ? AND group_name = ? AND superseded_at IS NULL", now, tenantId, group)
            : s.ExecuteAsync(
                "UPDATE rollouts SET superseded_at = ? WHERE tenant_id = ? AND group_name = ? AND package_name = ? AND superseded_at IS NULL",
                now, tenantId, group, packageName);

    /// <summary>
    /// The hash that says whether an upsert changes anything: <see cref="BlueprintDeclarations.ContentHash"/> with an
    /// app that names no plan counted as naming <see cref="RolloutPlan.Default"/>, which is what it rolls out with.
    /// Without that, a file that never names a plan would differ from the hub's copy once a rollout started.
    /// </summary>
    internal static string EffectiveContentHash(Blueprint blueprint) =>
        (blueprint with { Apps = blueprint.Apps.Select(a => a.Rollout is null ? a with { Rollout = new AppRollout(RolloutPlan.Default) } : a).ToList() })
        .ContentHash();
}
