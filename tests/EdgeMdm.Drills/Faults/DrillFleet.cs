using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Drills.Faults;

/// <summary>
/// Devices in the drill's own process, so that it knows every answer each one got: they enroll once, keep their secrets
/// (as a device keeps them on its flash), and check in about every second, each check-in reporting a new battery level.
/// A level the appliance acknowledged (2xx) is a write that must never be lost.
/// </summary>
internal sealed class DrillFleet
{
    private readonly ConcurrentDictionary<string, int> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly List<FleetDevice> _devices = [];

    public IReadOnlyList<FleetDevice> Devices => _devices;

    /// <summary>How many check-ins got each answer: <c>200</c>, <c>503</c>, <c>401</c>, or <c>unreachable</c> (no HTTP answer).</summary>
    public IReadOnlyDictionary<string, int> Answers => _answers;

    /// <summary>The bodies of the first refusals (4xx/5xx), as a device would log them.</summary>
    public IReadOnlyCollection<string> Problems => _problems;

    public int Count(string answer) => _answers.GetValueOrDefault(answer);

    public string AnswersText => string.Join(' ', _answers.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"));

    /// <summary>
    /// Enrolls <paramref name="count"/> devices named PREFIX00001...; each retries for up to a minute, because the hub's
    /// token reaches the site only with its feed.
    /// </summary>
    public async Task EnrollAsync(HttpClient appliance, string token, string prefix, int count, CancellationToken cancellationToken)
    {
        var enrolled = await Task.WhenAll(Enumerable.Range(1, count).Select(i =>
            EnrollOneAsync(appliance, token, prefix + i.ToString("00000", CultureInfo.InvariantCulture), cancellationToken)));
        _devices.AddRange(enrolled);
    }

    /// <summary>Every device checks in about every <paramref name="interval"/> (jittered) until <paramref name="until"/> ends.</summary>
    public Task CheckInAsync(Func<HttpClient> appliance, TimeSpan interval, int seed, CancellationToken until) =>
        Task.WhenAll(_devices.Select((device, i) => LoopAsync(device, appliance, interval, new Random(seed + i), until)));

    /// <summary>One check-in per device, all at once; true when every one got 200.</summary>
    public async Task<bool> CheckInOnceAsync(HttpClient appliance, CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(_devices.Select(d => CheckInOneAsync(d, appliance, cancellationToken)));
        return answers.All(a => string.Equals(a, "200", StringComparison.Ordinal));
    }

    /// <summary>Forgets the tallies (before the phase whose answers count).</summary>
    public void ResetAnswers()
    {
        _answers.Clear();
        _problems.Clear();
    }

    private async Task LoopAsync(FleetDevice device, Func<HttpClient> appliance, TimeSpan interval, Random random, CancellationToken until)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.NextDouble() * interval.TotalMilliseconds), until);
            while (!until.IsCancellationRequested)
            {
                await CheckInOneAsync(device, appliance(), until);
                await Task.Delay(TimeSpan.FromMilliseconds(interval.TotalMilliseconds * (0.75 + (random.NextDouble() / 2))), until);
            }
        }
        catch (OperationCanceledException) when (until.IsCancellationRequested)
        {
            // The phase ended; a check-in cut short by it is recorded as in doubt.
        }
    }

    private async Task<string> CheckInOneAsync(FleetDevice device, HttpClient appliance, CancellationToken cancellationToken)
    {
        var level = device.NextLevel();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/checkin")
        {
            Content = JsonContent.Create(new CheckinRequest { Status = new DeviceStatus { Battery = new BatteryStatus { Level = level } } }, DeviceProtocolJson.Default.CheckinRequest),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", device.Secret);
        string answer;
        try
        {
            using var response = await appliance.SendAsync(request, cancellationToken);
            answer = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            if (response.IsSuccessStatusCode)
                device.Acknowledged(level);
            else
            {
                // A refused write changed nothing: what was acknowledged before stands.
                if (_problems.Count < 5)
                    _problems.Enqueue($"{answer} {response.Headers.RetryAfter} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The drill ended the phase mid-request: not an answer of the appliance, but the write is in doubt.
            device.InDoubt(level);
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            // No answer, or one cut off mid-body (an IOException): the write may or may not have been made; either
            // level is then a correct survivor.
            device.InDoubt(level);
            answer = "unreachable";
        }

        _answers.AddOrUpdate(answer, 1, (_, n) => n + 1);
        return answer;
    }

    private static async Task<FleetDevice> EnrollOneAsync(HttpClient appliance, string token, string serial, CancellationToken cancellationToken)
    {
        var request = new EnrollRequest { EnrollmentToken = token, Serial = serial, Model = "TC52", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1.0.0" };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using (var response = await appliance.PostAsJsonAsync("/api/v1/enroll", request, DeviceProtocolJson.Default.EnrollRequest, cancellationToken))
            {
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    var enrolled = (await response.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.EnrollResponse, cancellationToken))!;
                    return new FleetDevice(serial, enrolled.DeviceId, enrolled.DeviceSecret);
                }

                if (DateTime.UtcNow > deadline)
                    throw new InvalidOperationException($"enrollment of {serial} still refused after a minute: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }

            await Task.Delay(250, cancellationToken);
        }
    }
}

/// <summary>One device: its secret, and which battery levels the appliance may hold for it now.</summary>
internal sealed class FleetDevice(string serial, string deviceId, string secret)
{
    private readonly Lock _lock = new();
    private int _next;
    private int? _acknowledged;
    private readonly HashSet<int> _inDoubt = [];

    public string Serial { get; } = serial;

    public string DeviceId { get; } = deviceId;

    public string Secret { get; } = secret;

    /// <summary>Levels cycle 1..100, so that the next report always differs from the last.</summary>
    public int NextLevel()
    {
        lock (_lock)
            return (_next++ % 100) + 1;
    }

    public void Acknowledged(int level)
    {
        lock (_lock)
        {
            _acknowledged = level;
            _inDoubt.Clear();
        }
    }

    public void InDoubt(int level)
    {
        lock (_lock)
            _inDoubt.Add(level);
    }

    /// <summary>Null when the appliance holding <paramref name="held"/> is right; else what is wrong.</summary>
    public string? CheckHeld(int? held)
    {
        lock (_lock)
        {
            if (held == _acknowledged || (held is { } h && _inDoubt.Contains(h)))
                return null;
            return $"{Serial}: the appliance holds battery {held?.ToString(CultureInfo.InvariantCulture) ?? "none"}, its last acknowledged report was {_acknowledged?.ToString(CultureInfo.InvariantCulture) ?? "none"}";
        }
    }
}
