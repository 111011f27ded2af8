namespace EdgeMdm.Drills.Power;

/// <summary>
/// Devices checking in back to back, each reporting a battery cycle count that only grows: device i sends value k
/// until the appliance acknowledges it (a 2xx), then k + 1. So at any moment what the appliance acknowledged per
/// device is <see cref="Acknowledged"/>, and the only value it may hold beyond that is the one in flight (k + 1).
/// A refused or cut check-in is sent again, as the agent re-sends its delta until one is acknowledged.
/// </summary>
internal sealed class CheckinStorm : IAsyncDisposable
{
    // Under the appliance's 10 check-ins per second per device (Edge:Limits), so a device is never refused for pace.
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(120);
    // A device whose check-in failed waits before it tries again, as the agent backs off: not so often that the
    // devices' reconnections take the CPU a restarting appliance needs.
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(250);

    private readonly HttpClient _http;
    private readonly DeviceApiClient _client;
    private readonly (string Serial, string Secret)[] _devices;
    private readonly long[] _acknowledged;
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;
    private long _answered;
    private long _refusedOrCut;
    private string? _firstRefusal;

    private CheckinStorm(HttpClient http, (string Serial, string Secret)[] devices)
    {
        _http = http;
        _client = new DeviceApiClient(http);
        _devices = devices;
        _acknowledged = new long[devices.Length];
    }

    public int Count => _devices.Length;

    public string Serial(int device) => _devices[device].Serial;

    /// <summary>The last value the appliance acknowledged for <paramref name="device"/> (0: none yet).</summary>
    public long Acknowledged(int device) => Volatile.Read(ref _acknowledged[device]);

    public long Answered => Interlocked.Read(ref _answered);

    public long RefusedOrCut => Interlocked.Read(ref _refusedOrCut);

    /// <summary>The first answer that refused a check-in (not a cut connection), for the report; null when none did.</summary>
    public string? FirstRefusal => Volatile.Read(ref _firstRefusal);

    /// <summary>
    /// Enrolls <paramref name="count"/> devices plus one probe (the last) with the hub's token, retrying until the
    /// token has come down the site's feed (bounded by <paramref name="timeout"/>).
    /// </summary>
    public static async Task<CheckinStorm> EnrollAsync(Uri appliance, string pin, string token, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var http = new HttpClient(ServerProcess.PinnedHandler(pin)) { BaseAddress = appliance, Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            var client = new DeviceApiClient(http);
            var devices = new (string, string)[count + 1];
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            for (var i = 0; i <= count; i++)
            {
                var serial = i == count ? "PWR-PROBE" : "PWR-" + i.ToString("D3", CultureInfo.InvariantCulture);
                var request = new EnrollRequest { EnrollmentToken = token, Serial = serial, Model = "TC52", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1.0.0" };
                while (true)
                {
                    try
                    {
                        devices[i] = (serial, (await client.EnrollAsync(request, cancellationToken)).DeviceSecret);
                        break;
                    }
                    catch (DeviceApiException) when (Stopwatch.GetTimestamp() < deadline)
                    {
                        // The token has not come down the feed yet.
                        await Task.Delay(250, cancellationToken);
                    }
                }
            }

            return new CheckinStorm(http, devices);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>The probe's check-in (no status change): whether a device is answered now.</summary>
    public async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.CheckinAsync(_devices[^1].Secret, new CheckinRequest(), cancellationToken);
            return true;
        }
        catch (Exception e) when (AgentFailures.IsRequestFailure(e, cancellationToken))
        {
            return false;
        }
    }

    public void Start() => _running = Task.WhenAll(Enumerable.Range(0, Count).Select(RunDeviceAsync));

    private async Task RunDeviceAsync(int device)
    {
        var secret = _devices[device].Secret;
        while (!_stop.IsCancellationRequested)
        {
            var value = _acknowledged[device] + 1;
            var request = new CheckinRequest { Status = new DeviceStatus { Battery = new BatteryStatus { Level = 60, CycleCount = (int)value, Charging = false, Docked = false } } };
            try
            {
                await _client.CheckinAsync(secret, request, _stop.Token);
                Volatile.Write(ref _acknowledged[device], value);
                Interlocked.Increment(ref _answered);
                await Task.Delay(Pause, _stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (AgentFailures.IsRequestFailure(e, _stop.Token))
            {
                // Cut by the kill (also mid-answer: an IOException), refused while the appliance starts, or timed out:
                // the same value goes again.
                Interlocked.Increment(ref _refusedOrCut);
                if (e is DeviceApiException)
                    Interlocked.CompareExchange(ref _firstRefusal, e.Message, null);
                await Task.Delay(RetryPause + TimeSpan.FromMilliseconds(Random.Shared.Next(50)), CancellationToken.None);
            }
        }
    }

    /// <summary>Stops every device after its current check-in.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _running;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
        _http.Dispose();
    }
}
