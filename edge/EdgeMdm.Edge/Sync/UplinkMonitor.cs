namespace EdgeMdm.Edge.Sync;

/// <summary>What the appliance knows of its way to the cloud hub.</summary>
public enum UplinkState
{
    /// <summary>No hub is configured: the site runs on its seed alone.</summary>
    NotConfigured,

    /// <summary>The last call to the hub succeeded.</summary>
    Connected,

    /// <summary>Calls are failing, but only for a short while (a blip, a hub restart): retrying with backoff.</summary>
    Trying,

    /// <summary>Calls have failed for longer than <see cref="UplinkMonitor.OfflineAfter"/>: the uplink is down.</summary>
    Offline,
}

/// <summary>
/// The uplink's small state machine (iotedge's DeviceConnectivityManager shape), fed only by real call
/// results: a success makes it Connected; failures make it Trying, and Offline once no call has succeeded for
/// <see cref="OfflineAfter"/>. Devices never see any of this: check-ins are answered from local state.
/// </summary>
public sealed class UplinkMonitor(TimeProvider clock, bool configured)
{
    public static readonly TimeSpan OfflineAfter = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private DateTimeOffset? _failingSince;

    public UplinkState State { get; private set; } = configured ? UplinkState.Trying : UplinkState.NotConfigured;

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public string? LastError { get; private set; }

    /// <returns>True when the state changed.</returns>
    public bool Succeeded()
    {
        lock (_gate)
        {
            LastSuccessAt = clock.GetUtcNow();
            _failingSince = null;
            LastError = null;
            return Move(UplinkState.Connected);
        }
    }

    /// <returns>True when the state changed.</returns>
    public bool Failed(string error)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            _failingSince ??= now;
            LastError = error;
            return Move(now - _failingSince.Value >= OfflineAfter ? UplinkState.Offline : UplinkState.Trying);
        }
    }

    private bool Move(UplinkState next)
    {
        if (State == UplinkState.NotConfigured || State == next)
            return false;
        State = next;
        return true;
    }
}
