using System.Collections.Concurrent;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Devices;

/// <summary>
/// Which device a bearer secret belongs to (by the secret's SHA-256, all the site keeps), answered from memory after the
/// first time. Authentication asks on every device request; asking the database each time cost a read transaction per
/// check-in, re-reading pages from the WAL the writer keeps appending to: about a fifth of a check-in's CPU
/// (docs/benchmarks.md).
/// </summary>
/// <remarks>
/// Only a re-enrollment changes a device's secret; it forgets the device's entry once committed (<see cref="Forget"/>).
/// Authentication never decides alone either: every feature finds the device by its secret again, in its own read or
/// writer unit, so an entry a re-enrollment has just outdated ends in the same 401 there.
/// </remarks>
internal sealed class KnownSecrets(EdgeStorage storage)
{
    // Well above any site's fleet; past it, the rest are looked up each time.
    private const int MaxEntries = 50_000;

    private readonly ConcurrentDictionary<string, string> _deviceBySecret = new(StringComparer.Ordinal);

    // Moves on every Forget, so a lookup that read the database before a re-enrollment committed does not remember
    // the secret it replaced.
    private long _forgets;

    /// <summary>The id of the device whose secret has this hash, or null when no device has it.</summary>
    public string? DeviceOf(string secretHash)
    {
        if (_deviceBySecret.TryGetValue(secretHash, out var known))
            return known;
        var forgets = Interlocked.Read(ref _forgets);
        var deviceId = storage.Read(db => db.ExecuteScalar<string?>("SELECT id FROM devices WHERE secret_hash = ?", secretHash));
        if (deviceId is not null && _deviceBySecret.Count < MaxEntries && Interlocked.Read(ref _forgets) == forgets)
            _deviceBySecret.TryAdd(secretHash, deviceId);
        return deviceId;
    }

    /// <summary>Drops what is remembered of the device's secret (it was replaced).</summary>
    public void Forget(string deviceId)
    {
        Interlocked.Increment(ref _forgets);
        foreach (var entry in _deviceBySecret)
        {
            if (string.Equals(entry.Value, deviceId, StringComparison.Ordinal))
                _deviceBySecret.TryRemove(entry);
        }
    }
}
