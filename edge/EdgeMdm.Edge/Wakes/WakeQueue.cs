using System.Collections.Concurrent;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Threading;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Wakes;

/// <summary>A device to wake; <paramref name="Id"/> is the durable queue's row id, 0 for a wake raised in memory.</summary>
public sealed record DeviceWake(long Id, string DeviceId, string Reason);

/// <summary>Why a device is woken; the wake message carries it.</summary>
public static class WakeReasons
{
    public const string Command = "command";
    public const string Declarations = "declarations";
    public const string Staging = "staging";
}

/// <summary>What producers of work call: a feature that just gave a device something to do.</summary>
public interface IWakeRequests
{
    /// <summary>
    /// Queues a durable wake inside the caller's writer unit, so it commits (or not) with the work it announces, and
    /// is published even when another process on the same data directory (the operator CLI) queued it.
    /// </summary>
    void Queue(UnitOfWork unit, string deviceId, string reason, DateTimeOffset at);

    /// <summary>Raises wakes in this process's memory only, for work no row records (declarations this process just changed).</summary>
    void WakeNow(IEnumerable<string> deviceIds, string reason);
}

/// <summary>
/// What the dispatcher reads: durable wakes (table <c>device_wakes</c>) until <see cref="ForgetWakesAsync"/>, then
/// every wake raised in memory.
/// </summary>
public interface IDeviceWakes
{
    /// <summary>Pulsed when this process queued a wake; other processes' wakes are found by polling.</summary>
    ChangeSignal WakesQueued { get; }

    /// <summary>Up to <paramref name="max"/> durable wakes, oldest first, then every wake raised in memory so far.</summary>
    IReadOnlyList<DeviceWake> TakeWakes(int max);

    /// <summary>Deletes the durable wakes up to and including <paramref name="throughId"/>.</summary>
    Task ForgetWakesAsync(long throughId);
}

internal sealed class WakeQueue(EdgeStorage storage) : IWakeRequests, IDeviceWakes
{
    private readonly ConcurrentQueue<DeviceWake> _inMemory = new();

    public ChangeSignal WakesQueued { get; } = new();

    public void Queue(UnitOfWork unit, string deviceId, string reason, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(unit);
        unit.Db.Prepared("INSERT INTO device_wakes (device_id, reason, queued_at) VALUES (?1, ?2, ?3)")
            .Bind(1, deviceId)
            .Bind(2, reason)
            .Bind(3, at.ToUnixTimeMilliseconds())
            .Execute();
        unit.OnCommitted(WakesQueued.Pulse);
    }

    public void WakeNow(IEnumerable<string> deviceIds, string reason)
    {
        var any = false;
        foreach (var id in deviceIds)
        {
            _inMemory.Enqueue(new DeviceWake(0, id, reason));
            any = true;
        }

        if (any)
            WakesQueued.Pulse();
    }

    public IReadOnlyList<DeviceWake> TakeWakes(int max)
    {
        var wakes = storage.Read(db => db.Query<DeviceWakeRow>(
                "SELECT id AS Id, device_id AS DeviceId, reason AS Reason FROM device_wakes ORDER BY id LIMIT ?", max))
            .Select(r => new DeviceWake(r.Id, r.DeviceId, r.Reason))
            .ToList();
        while (_inMemory.TryDequeue(out var wake))
            wakes.Add(wake);
        return wakes;
    }

    public Task ForgetWakesAsync(long throughId) =>
        storage.WriteAsync(unit => unit.Db.Execute("DELETE FROM device_wakes WHERE id <= ?", throughId));

    private sealed class DeviceWakeRow
    {
        public long Id { get; set; }

        public string DeviceId { get; set; } = "";

        public string Reason { get; set; } = "";
    }
}

public static class WakeRegistration
{
    public static IServiceCollection AddWakes(this IServiceCollection services) =>
        services.AddSingletonServing<WakeQueue>(typeof(IWakeRequests), typeof(IDeviceWakes));
}
