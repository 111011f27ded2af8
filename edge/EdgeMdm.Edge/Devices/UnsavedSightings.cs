using System.Collections.Concurrent;

namespace EdgeMdm.Edge.Devices;

/// <summary>
/// Check-ins that changed nothing but when the device was last seen, kept in memory until <see cref="SightingsWriter"/>
/// writes them (every <c>Edge:LastSeenWriteSeconds</c> and when the appliance stops). Writing each one at once rewrote
/// the device's row page, its WAL frame and, at the checkpoint, the page again: 7–17 KiB of flash per check-in that
/// told the site nothing new (docs/benchmarks.md, "Footprint"). A last-seen time is no change a device was told was
/// saved: a power cut loses at most one interval of them, and the device's next check-in tells it again. Everything a
/// device was answered for (a status, a result, a transition) is still written in the check-in's own unit.
/// Reads (<see cref="IDeviceQueries"/>, the status the hub is sent) see these times at once through <see cref="Overlay"/>.
/// </summary>
/// <remarks>Changed only on the writer's thread (a check-in's commit, a write's commit); read from any thread.</remarks>
internal sealed class UnsavedSightings
{
    private readonly ConcurrentDictionary<string, Sighting> _pending = new(StringComparer.Ordinal);

    /// <summary>Devices with a sighting not written yet.</summary>
    public int Count => _pending.Count;

    /// <summary>A check-in at <paramref name="atMs"/> that wrote nothing: the device was seen, once more.</summary>
    public void Record(string deviceId, long atMs) =>
        _pending.AddOrUpdate(deviceId, static (_, at) => new Sighting(at, 1), static (_, seen, at) => new Sighting(Math.Max(seen.AtMs, at), seen.Checkins + 1), atMs);

    /// <summary>Up to <paramref name="limit"/> devices' sightings as they are now, for a write; they stay until <see cref="Written"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, Sighting>> Take(int limit) => [.. _pending.Take(limit)];

    /// <summary>
    /// Those sightings are on disk: forgets them, but keeps what was seen since they were taken (the check-ins of the
    /// same group commit, whose callbacks may have run first).
    /// </summary>
    public void Written(IEnumerable<KeyValuePair<string, Sighting>> written)
    {
        ArgumentNullException.ThrowIfNull(written);
        foreach (var (deviceId, sighting) in written)
        {
            if (!_pending.TryGetValue(deviceId, out var now))
                continue;
            var left = now.Checkins - sighting.Checkins;
            if (left <= 0)
                _pending.TryRemove(deviceId, out _);
            else
                _pending[deviceId] = new Sighting(now.AtMs, left);
        }
    }

    /// <summary>When the device was last seen, in Unix milliseconds, if later than what its row says.</summary>
    public long? LastSeenMs(string deviceId, long? storedMs) =>
        _pending.TryGetValue(deviceId, out var seen) && (storedMs is not { } stored || seen.AtMs > stored) ? seen.AtMs : null;

    /// <summary>The device as read from its row, with the check-ins not written yet counted and the latest one's time.</summary>
    public DeviceRecord Overlay(DeviceRecord device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!_pending.TryGetValue(device.Id, out var seen))
            return device;
        var at = DateTimeOffset.FromUnixTimeMilliseconds(seen.AtMs);
        return device with
        {
            LastCheckinAt = device.LastCheckinAt is { } stored && stored >= at ? stored : at,
            CheckinCount = device.CheckinCount + seen.Checkins,
        };
    }
}

/// <summary>The latest time a device was seen and how many check-ins that changed nothing it made since its row was written.</summary>
internal sealed record Sighting(long AtMs, int Checkins);
