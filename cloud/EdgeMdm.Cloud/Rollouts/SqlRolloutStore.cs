using System.Text.Json;

namespace EdgeMdm.Cloud.Rollouts;

internal sealed class SqlRolloutStore(IHubDatabase db) : IRolloutStore
{
    private const string Columns =
        "rollout_id, group_name, package_name, from_version_code, from_version_name, to_version_code, to_version_name, plan_json, started_at, superseded_at";

    public Task<IReadOnlyList<RolloutRecord>> ListRolloutsAsync(string tenantId, string packageName, CancellationToken cancellationToken = default) =>
        ListAsync(
            $"SELECT {Columns} FROM rollouts WHERE tenant_id = ? AND package_name = ? ORDER BY group_name, started_at, rollout_id",
            [tenantId, packageName],
            cancellationToken);

    public Task<IReadOnlyList<RolloutRecord>> ListCurrentRolloutsAsync(string tenantId, CancellationToken cancellationToken = default) =>
        ListAsync(
            $"SELECT {Columns} FROM rollouts WHERE tenant_id = ? AND superseded_at IS NULL ORDER BY package_name, group_name, started_at, rollout_id",
            [tenantId],
            cancellationToken);

    private async Task<IReadOnlyList<RolloutRecord>> ListAsync(string sql, object?[] parameters, CancellationToken cancellationToken)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(sql, parameters);
        return rows.Select(r => new RolloutRecord(
            r.Text(0), r.Text(1), r.Text(2), r.Long(3), r.Text(4), r.Long(5), r.Text(6),
            JsonSerializer.Deserialize(r.Text(7), CloudJson.Default.RolloutPlan) ?? throw new InvalidDataException("a stored rollout plan is null"),
            r.Time(8),
            r.NullableTime(9))).ToList();
    }
}
