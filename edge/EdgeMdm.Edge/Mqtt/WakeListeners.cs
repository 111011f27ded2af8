namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// Which connections of a device listen for its wake: each (client id, filter) a device's subscription that its wake
/// topic matches, kept from the broker's subscribe, unsubscribe and disconnect events, so that a wake goes to exactly
/// those sessions without matching it against every session's subscriptions. Usually one pair per device: a small
/// list under one lock costs a tenth of the memory of nested concurrent dictionaries on a floor of connections.
/// </summary>
internal sealed class WakeListeners
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<Listener>> _byDevice = new(StringComparer.Ordinal);

    public void Subscribed(string deviceId, string clientId, string filter)
    {
        lock (_lock)
        {
            if (!_byDevice.TryGetValue(deviceId, out var listeners))
                _byDevice[deviceId] = listeners = new List<Listener>(1);
            var listener = new Listener(clientId, filter);
            if (!listeners.Contains(listener))
                listeners.Add(listener);
        }
    }

    public void Unsubscribed(string deviceId, string clientId, string filter) =>
        Remove(deviceId, listener => listener == new Listener(clientId, filter));

    public void Disconnected(string deviceId, string clientId) =>
        Remove(deviceId, listener => string.Equals(listener.ClientId, clientId, StringComparison.Ordinal));

    /// <summary>The client ids listening for <paramref name="deviceId"/>'s wake, each once.</summary>
    public IReadOnlyList<string> ClientsOf(string deviceId)
    {
        lock (_lock)
        {
            if (!_byDevice.TryGetValue(deviceId, out var listeners))
                return [];
            return listeners.Count == 1 ? [listeners[0].ClientId] : listeners.Select(l => l.ClientId).Distinct(StringComparer.Ordinal).ToList();
        }
    }

    private void Remove(string deviceId, Predicate<Listener> which)
    {
        lock (_lock)
        {
            if (!_byDevice.TryGetValue(deviceId, out var listeners))
                return;
            listeners.RemoveAll(which);
            if (listeners.Count == 0)
                _byDevice.Remove(deviceId);
        }
    }

    private readonly record struct Listener(string ClientId, string Filter);
}
