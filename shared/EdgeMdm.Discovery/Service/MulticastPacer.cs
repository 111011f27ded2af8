using EdgeMdm.Discovery.Dns;

namespace EdgeMdm.Discovery.Service;

/// <summary>
/// RFC 6762 §6: a record is multicast on an interface at most once a second, whoever asks how often. Without it a
/// single device flooding queries would make the appliance flood the whole site Wi-Fi with answers.
/// Not thread-safe: one receive loop owns it.
/// </summary>
public sealed class MulticastPacer
{
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);

    /// <summary>Above this many remembered records the oldest are forgotten; our service has fewer than twenty.</summary>
    private const int MaxRemembered = 1024;

    private readonly Dictionary<(int Interface, DnsName Name, DnsRecordType Type), DateTimeOffset> _lastSent = [];

    /// <summary>
    /// The records of <paramref name="answers"/> not multicast on <paramref name="interfaceIndex"/> within the last
    /// second, which are then taken as sent at <paramref name="now"/>. Empty: the answer would be a repeat; send nothing.
    /// </summary>
    public IReadOnlyList<DnsResourceRecord> Due(int interfaceIndex, IReadOnlyList<DnsResourceRecord> answers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(answers);
        var due = answers
            .Where(record => !_lastSent.TryGetValue((interfaceIndex, record.Name, record.Type), out var sent) || now - sent >= MinimumInterval)
            .ToList();
        if (_lastSent.Count + due.Count > MaxRemembered)
            Forget(now);
        foreach (var record in due)
            _lastSent[(interfaceIndex, record.Name, record.Type)] = now;
        return due;
    }

    private void Forget(DateTimeOffset now)
    {
        foreach (var stale in _lastSent.Where(entry => now - entry.Value >= MinimumInterval).Select(entry => entry.Key).ToList())
            _lastSent.Remove(stale);
    }
}
