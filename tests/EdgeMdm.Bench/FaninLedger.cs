using Npgsql;

namespace EdgeMdm.Bench;

/// <summary>
/// What the hub's PostgreSQL database holds of the fan-in sites, read with plain queries after the load: each site's
/// applied position, its transitions (events: one row per change, keyed by the site's sequence) and its devices'
/// last check-in. A bench whose load was lost is not a bench.
/// </summary>
internal static class FaninLedger
{
    /// <summary>
    /// Generous: the bench runs at the least CPU weight beside a saturated hub and database, and one of its connections
    /// once waited out Npgsql's 15 s default to open.
    /// </summary>
    private const string Patience = ";Timeout=120;Command Timeout=300";

    /// <summary>The sum of every site's <c>applied_through</c>: changes the hub has applied, all sites together.</summary>
    public static Task<long> AppliedAsync(string database, CancellationToken cancellationToken) =>
        QueryAsync(database, async connection =>
        {
            await using var command = new NpgsqlCommand("SELECT COALESCE(SUM(applied_through), 0)::bigint FROM sites", connection);
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);

    /// <summary>
    /// Every way the hub differs from what the sites produced (empty when it holds each site's changes exactly once):
    /// its position against the last sequence each site numbered, a transition row per transition produced, and each
    /// device with the check-in time of the newest status its site sent.
    /// </summary>
    public static Task<List<string>> DifferencesAsync(string database, IReadOnlyList<FaninSite> sites, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sites);
        return QueryAsync(database, connection => DifferencesAsync(connection, sites, cancellationToken), cancellationToken);
    }

    private static async Task<List<string>> DifferencesAsync(NpgsqlConnection connection, IReadOnlyList<FaninSite> sites, CancellationToken cancellationToken)
    {
        var held = new Dictionary<string, (long Applied, long Transitions)>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            "SELECT s.site_id, s.applied_through, (SELECT count(*) FROM transitions t WHERE t.site_id = s.site_id) FROM sites s", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                held[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }

        var checkins = new Dictionary<string, long?>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT device_id, last_checkin FROM devices", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                checkins[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        }

        var differences = new List<string>();
        foreach (var site in sites)
        {
            var (applied, transitions) = held.GetValueOrDefault(site.SiteId);
            // Below what it acknowledged, the hub lost changes; between that and what the site numbered, they were not
            // delivered within the bound (the site still holds them); above it, the hub holds what no site sent.
            if (applied < (long)site.AcknowledgedThrough)
                differences.Add($"site {site.SiteId}: LOST: the hub holds through {applied} but acknowledged {site.AcknowledgedThrough}");
            else if (applied != (long)site.ProducedThrough)
                differences.Add($"site {site.SiteId}: the hub holds through {applied}, the site numbered through {site.ProducedThrough} (undelivered within the bound: {site.ProducedThrough - site.AcknowledgedThrough})");
            if (transitions != site.TransitionsProduced)
                differences.Add($"site {site.SiteId}: {transitions} transition rows for {site.TransitionsProduced} transitions sent");
            for (var d = 0; d < FaninSite.Devices; d++)
            {
                var id = FaninSite.DeviceId(site.SiteId, d);
                var expected = site.LastCheckins[d];
                if (!checkins.TryGetValue(id, out var last))
                    differences.Add($"device {id}: missing at the hub");
                else if (expected != 0 && last != expected)
                    differences.Add($"device {id}: last check-in {last} at the hub, {expected} sent last");
            }
        }

        return differences;
    }

    /// <summary>A query on a connection of its own; a database that cannot be read ends the scenario with one readable line.</summary>
    private static async Task<T> QueryAsync<T>(string database, Func<NpgsqlConnection, Task<T>> query, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(database + Patience);
            await connection.OpenAsync(cancellationToken);
            return await query(connection);
        }
        catch (NpgsqlException e)
        {
            throw new ServerStartException("could not read the hub's PostgreSQL database: " + e.Message, e);
        }
    }
}
