namespace EdgeMdm.Edge.Mqtt;

/// <summary>What a client's publication may do: go through, be dropped, or be dropped and end the connection.</summary>
internal enum PublishVerdict
{
    Taken,
    Dropped,
    Disconnect,
}

/// <summary>
/// One client's publications, as a token bucket on the broker's clock: <c>perSecond</c> a second, with
/// <see cref="BurstSeconds"/> seconds' worth at once. A client that keeps publishing while it is out of tokens, for
/// another <see cref="BurstSeconds"/> seconds' worth of publications, is to be disconnected: it is not slowing down.
/// </summary>
internal sealed class PublishBudget(int perSecond, TimeProvider clock)
{
    public const int BurstSeconds = 5;

    private readonly Lock _lock = new();
    private readonly int _capacity = perSecond * BurstSeconds;
    private double _tokens = perSecond * BurstSeconds;
    private long _refilledAt = clock.GetTimestamp();
    private int _droppedInARow;

    public PublishVerdict Take()
    {
        lock (_lock)
        {
            var now = clock.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + clock.GetElapsedTime(_refilledAt, now).TotalSeconds * perSecond);
            _refilledAt = now;
            if (_tokens >= 1)
            {
                _tokens--;
                _droppedInARow = 0;
                return PublishVerdict.Taken;
            }

            return ++_droppedInARow >= _capacity ? PublishVerdict.Disconnect : PublishVerdict.Dropped;
        }
    }
}
