using System.Collections.Concurrent;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.SiteTls;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Edge.Checkin;

/// <summary>
/// Each device's declaration-set version (table <c>declaration_versions</c>) and the signing of its set: the version is
/// raised by one whenever the token handed to the device differs from the one its current version was given for, so it
/// only ever grows while edge.db is not replaced. A device's last version is also kept in memory after it committed,
/// so fetching an unchanged set again costs no trip through the writer.
/// </summary>
internal sealed class DeclarationVersions(EdgeStorage storage, SiteSigner signer, TimeProvider clock, ILogger<DeclarationVersions> logger)
{
    // Bounded like the check-in's status cache: a bigger site takes the writer trip for the rest.
    private const int MaxRemembered = 20_000;
    private readonly ConcurrentDictionary<string, (string Token, long Version)> _current = new(StringComparer.Ordinal);

    /// <summary>The device's declarations as its set at its version, signed by the site.</summary>
    public async Task<DeclarationsDocument> SignAsync(DeviceDeclarations declarations)
    {
        var (deviceId, document, reported) = declarations;
        var version = _current.TryGetValue(deviceId, out var known) && string.Equals(known.Token, document.Token, StringComparison.Ordinal) && !(reported > known.Version)
            ? known.Version
            : await storage.WriteAsync(unit => VersionFor(unit, deviceId, document.Token, reported));
        return DeclarationSetSignature.Sign(document, deviceId, version, signer.Key);
    }

    /// <summary>
    /// The version for <paramref name="token"/>: the stored one while the token is the same, one more when it changed. A
    /// device that reports holding a version above the stored one (edge.db was restored from an older copy) would refuse
    /// every version up to its own as a rollback: versions go on from the one it holds, and the log says so.
    /// </summary>
    private long VersionFor(UnitOfWork unit, string deviceId, string token, long? reportedHeld)
    {
        var stored = unit.Db.Query<VersionRow>("SELECT token AS Token, version AS Version FROM declaration_versions WHERE device_id = ?", deviceId).FirstOrDefault();
        var version = stored switch
        {
            null => 1,
            _ when string.Equals(stored.Token, token, StringComparison.Ordinal) => stored.Version,
            _ => stored.Version + 1,
        };
        if (reportedHeld is { } held && held >= version && held > (stored?.Version ?? 0))
        {
            CheckinLog.VersionBehindDevice(logger, deviceId, held, stored?.Version ?? 0);
            version = held + 1;
        }

        if (stored is null || stored.Version != version)
        {
            unit.Db.Execute(
                """
                INSERT INTO declaration_versions (device_id, token, version, updated_at) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT (device_id) DO UPDATE SET token = ?2, version = ?3, updated_at = ?4
                """,
                deviceId, token, version, clock.GetUtcNow().ToUnixTimeMilliseconds());
        }

        unit.OnCommitted(() =>
        {
            if (_current.Count < MaxRemembered || _current.ContainsKey(deviceId))
                _current[deviceId] = (token, version);
        });
        return version;
    }

    // Mutable because sqlite-net sets properties one by one.
    private sealed class VersionRow
    {
        public string Token { get; set; } = "";
        public long Version { get; set; }
    }
}
