using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace EdgeMdm.Domain.Rollouts;

/// <summary>
/// Which wave a device is in, decided from nothing but the plan, the rollout id, the device id and the
/// device's groups: no stored assignment, no knowledge of the rest of the fleet. So the hub (over every site)
/// and a site (over its own devices, uplink or not) put a device in the same wave, and a restart changes
/// nothing. The price: percentages are shares in expectation, not exact counts (10 % of a 7-device site may be
/// 0 or 2 devices), which is what a fleet-wide rollout needs.
/// </summary>
public static class WaveAssignment
{
    /// <summary>Resolution of <see cref="Bucket"/>: basis points, so 1 % steps are exact.</summary>
    public const int Buckets = 10_000;

    /// <summary>
    /// Index into <see cref="RolloutPlan.Waves"/>. Pilots first: the first pilot wave naming one of
    /// <paramref name="deviceGroups"/>; otherwise the first percentage wave whose cumulative share is above the
    /// device's <see cref="Bucket"/>. The plan must be valid (its last wave 100 %); should it not be, a device
    /// no wave covers is put in the last wave rather than nowhere.
    /// </summary>
    /// <param name="deviceGroups">The groups the device belongs to (its blueprint group, pilot lists).</param>
    public static int WaveOf(RolloutPlan plan, string rolloutId, string deviceId, IReadOnlyCollection<string> deviceGroups)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(deviceGroups);
        for (var i = 0; i < plan.Waves.Count; i++)
        {
            if (plan.Waves[i] is PilotWave pilot && deviceGroups.Contains(pilot.Group, StringComparer.Ordinal))
                return i;
        }

        var bucket = Bucket(rolloutId, deviceId);
        for (var i = 0; i < plan.Waves.Count; i++)
        {
            if (plan.Waves[i] is PercentageWave percentage && bucket < percentage.CumulativePercent * (Buckets / 100))
                return i;
        }

        return plan.Waves.Count - 1;
    }

    /// <summary>The wave of a device of <paramref name="deviceGroup"/> with this serial number (<see cref="RolloutPlan.GroupsOf"/>).</summary>
    public static int WaveOf(RolloutPlan plan, string rolloutId, string deviceId, string deviceGroup, string? serialNumber)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return WaveOf(plan, rolloutId, deviceId, plan.GroupsOf(deviceGroup, serialNumber));
    }

    /// <summary>
    /// The device's stable position, 0 to 9 999: the first 8 bytes of SHA-256 of UTF-8
    /// <c>rolloutId + "\n" + deviceId</c>, big-endian, modulo 10 000. Salted by the rollout id so that the same
    /// devices are not always the first to take a new version; the separator keeps ("a", "bc") apart from
    /// ("ab", "c").
    /// </summary>
    public static int Bucket(string rolloutId, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(rolloutId);
        ArgumentNullException.ThrowIfNull(deviceId);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(rolloutId + "\n" + deviceId));
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % Buckets);
    }
}
