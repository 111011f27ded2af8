using SQLite;

namespace EdgeMdm.Drills.Power;

/// <summary>
/// At the end, with the uplink up and the appliance left running until the hub applied everything: the hub's view of
/// the site equals the site's, read straight from both databases. Every event (a lifecycle transition, a staging
/// batch) is there exactly once; every device with the site's state and status. Returns the broken promises.
/// </summary>
internal static class HubChecks
{
    public static IEnumerable<string> SameAsSite(string edgeDatabase, string hubDatabase, string siteId)
    {
        using var edge = new SQLiteConnection(edgeDatabase, SQLiteOpenFlags.ReadOnly);
        using var hub = new SQLiteConnection(hubDatabase, SQLiteOpenFlags.ReadOnly);
        var siteDevices = edge.Query<DeviceRow>(
            "SELECT id AS DeviceId, serial AS Serial, state AS State, status AS Status, compliant AS Compliant, group_name AS GroupName FROM devices");
        var hubDevices = hub.Query<DeviceRow>(
                "SELECT device_id AS DeviceId, serial AS Serial, state AS State, status_json AS Status, compliant AS Compliant, group_name AS GroupName FROM devices WHERE site_id = ?", siteId)
            .ToDictionary(d => d.DeviceId, StringComparer.Ordinal);
        if (siteDevices.Count != hubDevices.Count)
            yield return Invariant($"devices: site {siteDevices.Count}, hub {hubDevices.Count}");
        foreach (var device in siteDevices)
        {
            if (!hubDevices.TryGetValue(device.DeviceId, out var held))
                yield return $"device {device.Serial}: not at the hub";
            else if (held != device)
                yield return $"device {device.Serial}: site {device}, hub {held}";
        }

        var siteTransitions = edge.Query<TransitionRow>(
            "SELECT device_id AS DeviceId, coalesce(from_state, '') AS FromState, to_state AS ToState, reason AS Reason, at AS At FROM device_transitions");
        var hubTransitions = hub.Query<TransitionRow>(
            "SELECT device_id AS DeviceId, from_state AS FromState, to_state AS ToState, reason AS Reason, at AS At FROM transitions WHERE site_id = ?", siteId);
        foreach (var problem in ExactlyOnce("transition", siteTransitions, hubTransitions))
            yield return problem;

        var siteBatches = edge.QueryScalars<string>("SELECT id FROM staging_batches");
        var hubBatches = hub.QueryScalars<string>("SELECT batch_id FROM staging_batches WHERE site_id = ?", siteId);
        foreach (var problem in ExactlyOnce("staging batch", siteBatches, hubBatches))
            yield return problem;
    }

    /// <summary>Every one of <paramref name="site"/> is in <paramref name="hub"/> once, and the hub holds nothing else.</summary>
    private static IEnumerable<string> ExactlyOnce<T>(string what, IReadOnlyCollection<T> site, IReadOnlyCollection<T> hub)
        where T : notnull
    {
        var counts = hub.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        var missing = site.Where(x => !counts.ContainsKey(x)).ToList();
        var doubled = counts.Where(c => c.Value > 1).Select(c => c.Key).ToList();
        var foreign = hub.Except(site).ToList();
        if (missing.Count > 0)
            yield return Invariant($"{what}s: {missing.Count} of the site's {site.Count} missing at the hub (first: {missing[0]})");
        if (doubled.Count > 0)
            yield return Invariant($"{what}s: {doubled.Count} held more than once at the hub (first: {doubled[0]})");
        if (foreign.Count > 0)
            yield return Invariant($"{what}s: {foreign.Count} at the hub that the site does not hold (first: {foreign[0]})");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record DeviceRow
    {
        public string DeviceId { get; set; } = "";
        public string Serial { get; set; } = "";
        public string State { get; set; } = "";
        public string Status { get; set; } = "";
        public int Compliant { get; set; }
        public string GroupName { get; set; } = "";
    }

    private sealed record TransitionRow
    {
        public string DeviceId { get; set; } = "";
        public string FromState { get; set; } = "";
        public string ToState { get; set; } = "";
        public string Reason { get; set; } = "";
        public long At { get; set; }
    }
}
