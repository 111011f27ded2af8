namespace EdgeMdm.Domain.Rollouts;

/// <summary>
/// One device in a rollout report: where it is, what its outcome is, and whether it is a straggler
/// (<see cref="RolloutStragglers.IsStraggler"/>: the caller knows its wave and the progress).
/// </summary>
public sealed record RolloutDeviceRow(string SiteId, string DeviceId, DeviceOutcome Outcome, DateTimeOffset? LastCheckIn, bool Straggler = false);

/// <summary>
/// Devices by state, and failed devices by reason. Every reason is present, zero or not, so a table built
/// from it has the same columns for every site.
/// </summary>
public sealed record RolloutCounts(
    int Devices,
    int Installed,
    int Pending,
    int Failed,
    int Incompatible,
    int Offline,
    IReadOnlyDictionary<InstallFailureReason, int> FailedByReason);

/// <summary>A device of an open wave the rollout chases without waiting for it (<see cref="RolloutStragglers.IsStraggler"/>): pending, offline or failed.</summary>
public sealed record Straggler(string SiteId, string DeviceId, DeviceRolloutState State, InstallFailureReason? Reason, DateTimeOffset? LastCheckIn);

public sealed record SiteRolloutReport(string SiteId, RolloutCounts Counts, IReadOnlyList<Straggler> Stragglers);

/// <summary>
/// The rollout report, across sites and per site (sites in ordinal id order). Stragglers are listed oldest
/// check-in first, devices that never checked in before all others, ties by site then device id, so the
/// devices most likely lost come first and the order is the same on every run.
/// </summary>
public sealed record RolloutReport(RolloutCounts Total, IReadOnlyList<SiteRolloutReport> Sites, IReadOnlyList<Straggler> Stragglers)
{
    public static RolloutReport Build(IEnumerable<RolloutDeviceRow> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var rows = devices.ToList();
        var sites = rows
            .GroupBy(r => r.SiteId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SiteRolloutReport(g.Key, Count(g), StragglersOf(g)))
            .ToList();
        return new RolloutReport(Count(rows), sites, StragglersOf(rows));
    }

    private static RolloutCounts Count(IEnumerable<RolloutDeviceRow> rows)
    {
        var byState = new int[Enum.GetValues<DeviceRolloutState>().Length];
        var byReason = Enum.GetValues<InstallFailureReason>().ToDictionary(r => r, _ => 0);
        var devices = 0;
        foreach (var row in rows)
        {
            devices++;
            byState[(int)row.Outcome.State]++;
            if (row.Outcome is { State: DeviceRolloutState.Failed, Reason: { } reason })
                byReason[reason]++;
        }

        return new RolloutCounts(
            devices,
            byState[(int)DeviceRolloutState.Installed],
            byState[(int)DeviceRolloutState.Pending],
            byState[(int)DeviceRolloutState.Failed],
            byState[(int)DeviceRolloutState.Incompatible],
            byState[(int)DeviceRolloutState.Offline],
            byReason);
    }

    private static List<Straggler> StragglersOf(IEnumerable<RolloutDeviceRow> rows) =>
        rows
            .Where(r => r.Straggler && r.Outcome.State is not (DeviceRolloutState.Installed or DeviceRolloutState.Incompatible))
            .OrderBy(r => r.LastCheckIn.HasValue)
            .ThenBy(r => r.LastCheckIn)
            .ThenBy(r => r.SiteId, StringComparer.Ordinal)
            .ThenBy(r => r.DeviceId, StringComparer.Ordinal)
            .Select(r => new Straggler(r.SiteId, r.DeviceId, r.Outcome.State, r.Outcome.Reason, r.LastCheckIn))
            .ToList();
}
