using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// Reads the tables of several features (sites, fleet, the feed) directly: the digest must be one snapshot of
/// everything sync wrote, in a canonical order, which no combination of the features' own reads gives.
/// </summary>
internal sealed class SqlStateDigest(IHubDatabase db) : IStateDigest
{
    /// <summary>The tables and columns the digest covers, each in a total order (hub-side times left out).</summary>
    private static readonly string[] DigestQueries =
    [
        "SELECT site_id, name, applied_through, feed_head FROM sites ORDER BY site_id",
        """
        SELECT site_id, device_id, serial, model, manufacturer, os_version, agent_version, group_name, state, status_json,
               CASE WHEN compliant THEN 1 ELSE 0 END, findings_json, finding_count, declarations_token, last_checkin
        FROM devices ORDER BY site_id, device_id
        """,
        "SELECT site_id, sequence, device_id, from_state, to_state, actor, reason, at FROM transitions ORDER BY site_id, sequence",
        "SELECT command_id, site_id, device_id, type, parameters_json, status, message, finished_at FROM commands ORDER BY command_id",
        "SELECT site_id, position, change FROM feed ORDER BY site_id, position",
    ];

    public async Task<string> StateDigestAsync(CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        foreach (var query in DigestQueries)
        {
            foreach (var row in await s.QueryAsync(query))
            {
                // Each row as a JSON array of strings: unambiguous whatever the values contain.
                var line = JsonSerializer.Serialize(row.Canonical(), CloudJson.Default.StringArray);
                hash.AppendData(Encoding.UTF8.GetBytes(line + "\n"));
            }

            hash.AppendData("--\n"u8);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
