using EdgeMdm.Contracts.Device;
using static EdgeMdm.Bench.BenchProcesses;

namespace EdgeMdm.Bench;

/// <summary>
/// Many devices in this one process, each with the agent's own <see cref="WakeListener"/> (its own MQTT connection,
/// subscribed to its own wake topic) and, for the appliance's fleet, a check-in through the agent's
/// <see cref="DeviceApiClient"/> as soon as the wake arrives, then the result of each command it brought, as
/// <c>edgemdm-agent run</c> does. Each device records
/// when its wake arrived and when its check-in was answered in the open <see cref="WakeRoundProgress"/>.
/// </summary>
internal sealed class WakeFleet : IAsyncDisposable
{
    private const int ConnectBatch = 250;
    private static readonly TimeSpan BatchLimit = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan IdleWait = TimeSpan.FromMinutes(10);

    private readonly string _name;
    private readonly Uri _broker;
    private readonly IReadOnlyList<WakeDevice> _devices;
    private readonly DeviceApiClient? _api;
    private readonly List<WakeListener> _listeners = [];
    private readonly List<Task> _running = [];
    private readonly CancellationTokenSource _stop = new();
    private WakeRoundProgress? _round;
    private long _strayWakes;
    private long _errors;
    private string? _lastError;

    /// <param name="api">Null: the devices only receive (the Mosquitto side, where nobody checks in).</param>
    public WakeFleet(string name, Uri broker, IReadOnlyList<WakeDevice> devices, DeviceApiClient? api)
    {
        _name = name;
        _broker = broker;
        _devices = devices;
        _api = api;
    }

    /// <summary>Wakes that arrived while no round was open.</summary>
    public long StrayWakes => Interlocked.Read(ref _strayWakes);

    /// <summary>Failed check-ins and reconnections (a healthy run has none: every device stays connected).</summary>
    public long Errors => Interlocked.Read(ref _errors) + _listeners.Sum(l => Math.Max(0, l.Connects - 1));

    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>Connects every device, <see cref="ConnectBatch"/> at a time, each batch subscribed before the next starts.</summary>
    public async Task ConnectAsync(TextWriter log, CancellationToken cancellationToken)
    {
        for (var first = 0; first < _devices.Count; first += ConnectBatch)
        {
            var batch = new List<WakeListener>();
            for (var i = first; i < Math.Min(first + ConnectBatch, _devices.Count); i++)
            {
                var listener = new WakeListener(_broker, _devices[i].DeviceId, _devices[i].Secret, TimeProvider.System, log: null, seed: i);
                _listeners.Add(listener);
                batch.Add(listener);
                _running.Add(listener.RunAsync(_stop.Token));
                _running.Add(AwaitWakesAsync(i, listener, _stop.Token));
            }

            // Connects counts a connection only once its wake subscription was granted.
            await WaitAsync($"{_name}: devices {first}..{first + batch.Count - 1} to connect and subscribe", () => Task.FromResult(batch.TrueForAll(l => l.Connects >= 1)), BatchLimit, cancellationToken);
        }

        log.WriteLine($"  wake: {_listeners.Count} devices connected to {_name} and subscribed");
    }

    /// <summary>Opens a round: from now on each device's first wake (and check-in) counts in it.</summary>
    /// <param name="checkIn">False: the devices only take their wakes (to see the broker's delivery without the check-ins' load).</param>
    public WakeRoundProgress OpenRound(bool checkIn)
    {
        var round = new WakeRoundProgress(_devices.Count, checksIn: checkIn && _api is not null);
        Volatile.Write(ref _round, round);
        return round;
    }

    public void CloseRound() => Volatile.Write(ref _round, null);

    private async Task AwaitWakesAsync(int index, WakeListener listener, CancellationToken stop)
    {
        var device = _devices[index];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!await listener.Signal.WaitAsync(IdleWait, TimeProvider.System, stop))
                    continue;
                var round = Volatile.Read(ref _round);
                if (round is null || !round.Woken(index, Stopwatch.GetTimestamp()))
                    Interlocked.Increment(ref _strayWakes);
                if (_api is not null && (round is null || round.ChecksIn))
                    await CheckInAsync(index, device, round, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    private async Task CheckInAsync(int index, WakeDevice device, WakeRoundProgress? round, CancellationToken stop)
    {
        try
        {
            var answer = await _api!.CheckinAsync(device.Secret, device.Status.NextCheckin(), stop);
            device.Status.Acknowledge(answer);
            if (answer.Commands.Count == 0)
            {
                Fail($"{device.DeviceId} was woken but its check-in brought no command");
                return;
            }

            round?.CheckedIn(index, Stopwatch.GetTimestamp());
            // As the agent does, each command's result goes back at once: unreported, every round's command would be
            // delivered again on every later check-in, and the answers would grow round by round.
            foreach (var command in answer.Commands)
                await _api.ReportCommandResultAsync(device.Secret, command.Id, new CommandResultRequest { Status = "succeeded", Timestamp = DateTimeOffset.UtcNow }, stop);
        }
        catch (Exception e) when (e is DeviceApiException or HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
        {
            Fail($"{device.DeviceId}: check-in or command result failed: {e.Message}");
        }
    }

    private void Fail(string message)
    {
        Interlocked.Increment(ref _errors);
        Volatile.Write(ref _lastError, message);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_running).WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            // A listener that does not stop within a minute is left to the process's exit.
        }
        catch (OperationCanceledException)
        {
            // A listener whose DISCONNECT MQTTnet cut off as the connection closed under it: stopped all the same
            // (seen once in the footprint scenario, after every figure was taken).
        }

        foreach (var listener in _listeners)
            listener.Dispose();
        _stop.Dispose();
    }
}

/// <summary>One enrolled device: its credential for MQTT and HTTP, and the check-ins it sends.</summary>
internal sealed record WakeDevice(string DeviceId, string Secret, BenchDevice Status);

/// <summary>
/// One round of one broker: when each device got its wake and when its check-in was answered (Stopwatch
/// timestamps, 0 = not yet); completes <see cref="AllWoken"/> and <see cref="AllCheckedIn"/>.
/// </summary>
internal sealed class WakeRoundProgress
{
    private readonly long[] _wokenAt;
    private readonly long[] _checkedInAt;
    private int _woken;
    private int _checkedIn;

    public WakeRoundProgress(int devices, bool checksIn)
    {
        _wokenAt = new long[devices];
        _checkedInAt = new long[devices];
        ChecksIn = checksIn;
        if (!checksIn)
            AllCheckedIn.TrySetResult();
    }

    public bool ChecksIn { get; }

    public TaskCompletionSource AllWoken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource AllCheckedIn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int WokenCount => Volatile.Read(ref _woken);

    public int CheckedInCount => Volatile.Read(ref _checkedIn);

    /// <summary>False when this device was already woken in this round (a second wake is not this round's).</summary>
    public bool Woken(int device, long timestamp)
    {
        if (Interlocked.CompareExchange(ref _wokenAt[device], timestamp, 0) != 0)
            return false;
        if (Interlocked.Increment(ref _woken) == _wokenAt.Length)
            AllWoken.TrySetResult();
        return true;
    }

    public void CheckedIn(int device, long timestamp)
    {
        if (Interlocked.CompareExchange(ref _checkedInAt[device], timestamp, 0) == 0 && Interlocked.Increment(ref _checkedIn) == _checkedInAt.Length)
            AllCheckedIn.TrySetResult();
    }

    public long FirstWoken => _wokenAt.Where(t => t != 0).DefaultIfEmpty().Min();

    public long LastWoken => _wokenAt.Max();

    /// <summary>When half the devices had their wake.</summary>
    public long HalfWoken
    {
        get
        {
            var sorted = _wokenAt.Where(t => t != 0).Order().ToList();
            return sorted.Count == 0 ? 0 : sorted[(sorted.Count - 1) / 2];
        }
    }

    public long LastCheckedIn => _checkedInAt.Max();
}
