namespace EdgeMdm.EndToEnd;

/// <summary>
/// The embedded broker against clients nobody here wrote: Debian's <c>mosquitto_sub</c> and <c>mosquitto_pub</c>
/// (installed by tests/scripts/setup.sh), each with <c>-i</c> since MQTTnet refuses empty client ids on MQTT 3.1.1.
/// They connect over TLS as a site's clients do, trusting the site CA (<c>--cafile DATA/tls/site-ca.pem</c>) and
/// checking the host name. Commands are queued with the operator CLI, a separate process, so the wake also crosses
/// processes.
/// </summary>
public sealed class MosquittoClientTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _data = new();
    private ApplianceProcess _appliance = null!;
    private int _mqttPort;

    public async Task InitializeAsync()
    {
        _mqttPort = ApplianceProcess.FreePort();
        _appliance = await ApplianceProcess.StartAsync(_data.Path, checkinIntervalSeconds: 600, extraArgs: ["--mqtt-listen", "127.0.0.1:" + Port]);
    }

    public async Task DisposeAsync() => await _appliance.DisposeAsync();

    public void Dispose() => _data.Dispose();

    private string Port => _mqttPort.ToString(CultureInfo.InvariantCulture);

    [SkippableFact]
    public async Task Device_logs_in_with_mosquitto_sub_and_receives_the_wake_of_a_command_queued_with_the_cli()
    {
        SkipWithoutMosquittoClients();
        var device = await EnrollAsync("MOSQ-1");
        using var subscriber = Processes.StartProgram("mosquitto_sub", [.. Login(device.DeviceId, device.DeviceSecret), "-t", Wake(device.DeviceId), "-q", "1", "-C", "1", "-v", "-W", "20"]);
        await WaitSubscribedAsync();

        var queued = await EdgeAsync("commands", "send", "--device", device.DeviceId, "ring");

        Assert.Equal(0, queued.ExitCode);
        var (exitCode, stdout, stderr) = await Processes.FinishAsync(subscriber, ClientTimeout);
        Assert.True(exitCode == 0, "mosquitto_sub: " + stderr);
        Assert.Equal(Wake(device.DeviceId) + " {\"reason\":\"command\"}", stdout.TrimEnd('\n'));
    }

    [SkippableFact]
    public async Task Wrong_secret_is_refused_to_mosquitto_sub()
    {
        SkipWithoutMosquittoClients();
        var device = await EnrollAsync("MOSQ-BAD");

        var (exitCode, _, stderr) = await Processes.RunProgramAsync("mosquitto_sub", [.. Login(device.DeviceId, "ds_wrong"), "-t", Wake(device.DeviceId), "-C", "1", "-W", "10"], ClientTimeout);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("bad user name or password", stderr, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public async Task Mosquitto_sub_trusting_another_ca_does_not_connect_and_the_failed_handshake_is_counted()
    {
        SkipWithoutMosquittoClients();
        var device = await EnrollAsync("MOSQ-OTHER-CA");
        var otherCa = Path.Combine(_data.Path, "other-ca.pem");
        await File.WriteAllTextAsync(otherCa, OtherAuthorityPem());

        var (exitCode, stdout, _) = await Processes.RunProgramAsync("mosquitto_sub", [.. Login(device.DeviceId, device.DeviceSecret, otherCa), "-t", Wake(device.DeviceId), "-C", "1", "-W", "10"], ClientTimeout);

        Assert.NotEqual(0, exitCode);
        Assert.Equal("", stdout);
        await WaitForStatusAsync(status => status.GetProperty("tlsHandshakesFailed").GetInt64() >= 1 && status.GetProperty("loginsAccepted").GetInt64() == 0);
    }

    [SkippableFact]
    public async Task Subscribing_to_another_devices_wake_is_denied_and_counted()
    {
        SkipWithoutMosquittoClients();
        var device = await EnrollAsync("MOSQ-SNOOP");
        var victim = await EnrollAsync("MOSQ-VICTIM");

        var (_, _, stderr) = await Processes.RunProgramAsync("mosquitto_sub", [.. Login(device.DeviceId, device.DeviceSecret), "-t", Wake(victim.DeviceId), "-C", "1", "-W", "5"], ClientTimeout);

        Assert.Contains("All subscription requests were denied", stderr, StringComparison.Ordinal);
        await WaitForStatusAsync(status => status.GetProperty("subscribeDenied").GetInt64() == 1);
    }

    [SkippableFact]
    public async Task Publishing_on_a_wake_topic_is_denied_and_never_delivered()
    {
        SkipWithoutMosquittoClients();
        var device = await EnrollAsync("MOSQ-LISTENER");
        var forger = await EnrollAsync("MOSQ-FORGER");
        using var subscriber = Processes.StartProgram("mosquitto_sub", [.. Login(device.DeviceId, device.DeviceSecret), "-t", Wake(device.DeviceId), "-q", "1", "-C", "1", "-W", "4"]);
        await WaitSubscribedAsync();

        var (_, _, stderr) = await Processes.RunProgramAsync("mosquitto_pub", [.. Login(forger.DeviceId, forger.DeviceSecret), "-V", "5", "-q", "1", "-t", Wake(device.DeviceId), "-m", "{\"reason\":\"forged\"}"], ClientTimeout);

        Assert.Contains("Not authorized", stderr, StringComparison.Ordinal);
        var (_, received, _) = await Processes.FinishAsync(subscriber, ClientTimeout);
        Assert.Equal("", received);
        await WaitForStatusAsync(status => status.GetProperty("publishDenied").GetInt64() == 1);
    }

    [SkippableFact]
    public async Task Cradle_telemetry_published_with_mosquitto_pub_reaches_a_tool()
    {
        SkipWithoutMosquittoClients();
        var cradleSecret = await AddClientAsync("cradle-bay-3", "cradle");
        var toolSecret = await AddClientAsync("floor-board", "tool");
        using var tool = Processes.StartProgram("mosquitto_sub", [.. Login("floor-board", toolSecret), "-t", "edgemdm/cradles/#", "-q", "1", "-C", "1", "-v", "-W", "20"]);
        await WaitSubscribedAsync();

        var published = await Processes.RunProgramAsync("mosquitto_pub", [.. Login("cradle-bay-3", cradleSecret), "-q", "1", "-t", "edgemdm/cradles/cradle-bay-3/slots/4", "-m", "{\"docked\":true}"], ClientTimeout);

        Assert.Equal(0, published.ExitCode);
        var (exitCode, stdout, stderr) = await Processes.FinishAsync(tool, ClientTimeout);
        Assert.True(exitCode == 0, "mosquitto_sub: " + stderr);
        Assert.Equal("edgemdm/cradles/cradle-bay-3/slots/4 {\"docked\":true}", stdout.TrimEnd('\n'));
    }

    /// <summary>A real agent process woken by a command checks in at once, though its interval is 10 minutes.</summary>
    [Fact]
    public async Task Agent_woken_by_a_queued_command_carries_it_out_long_before_its_interval()
    {
        await using var agent = await RunningAgent.StartAsync(_appliance, "WAKE-AGENT");
        var (deviceId, log) = (agent.DeviceId, agent.Log);
        // The first check-in happens at start; after it the agent would sleep 600 s.
        await WaitUntilAsync(() => log.Any(l => l.Contains("listening for wakes", StringComparison.Ordinal)) && log.Any(l => l.Contains("checkin ok", StringComparison.Ordinal)), "the agent did not connect and check in");
        var started = Stopwatch.StartNew();

        var queued = await EdgeAsync("commands", "send", "--device", deviceId, "ring");
        Assert.Equal(0, queued.ExitCode);
        var commandId = queued.Stdout.Trim();

        await WaitUntilAsync(
            () => EdgeAsync("commands", "list", "--device", deviceId, "--json").Result.Stdout.Contains("\"succeeded\"", StringComparison.Ordinal),
            "the command was not carried out: " + string.Join(" | ", log));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(60), "carried out only after " + started.Elapsed);
        Assert.Contains(log, l => l.Contains("woken: checking in now", StringComparison.Ordinal));
        Assert.StartsWith("cmd-", commandId, StringComparison.Ordinal);
    }

    /// <summary>The agent reconnects to a broker that went away and came back, and is woken through the new connection.</summary>
    [Fact]
    public async Task Agent_reconnects_after_the_appliance_restarts_and_is_woken_again()
    {
        await using var agent = await RunningAgent.StartAsync(_appliance, "RECONNECT");
        var (deviceId, log) = (agent.DeviceId, agent.Log);
        await WaitUntilAsync(() => log.Count(l => l.Contains("listening for wakes", StringComparison.Ordinal)) == 1, "the agent did not connect");

        var url = _appliance.Url;
        await _appliance.KillAsync();
        await _appliance.DisposeAsync();
        await WaitUntilAsync(() => log.Any(l => l.Contains("wake connection lost", StringComparison.Ordinal)), "the agent did not notice the broker went away");
        _appliance = await ApplianceProcess.StartAsync(_data.Path, checkinIntervalSeconds: 600, extraArgs: ["--mqtt-listen", "127.0.0.1:" + Port], url: url);
        await WaitUntilAsync(() => log.Count(l => l.Contains("listening for wakes", StringComparison.Ordinal)) == 2, "the agent did not reconnect: " + string.Join(" | ", log));

        Assert.Equal(0, (await EdgeAsync("commands", "send", "--device", deviceId, "ring")).ExitCode);

        await WaitUntilAsync(
            () => EdgeAsync("commands", "list", "--device", deviceId, "--json").Result.Stdout.Contains("\"succeeded\"", StringComparison.Ordinal),
            "the command was not carried out after the reconnection: " + string.Join(" | ", log));
    }

    private static void SkipWithoutMosquittoClients()
    {
        var missing = !File.Exists("/usr/bin/mosquitto_sub") || !File.Exists("/usr/bin/mosquitto_pub");
        if (missing && string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.Ordinal))
            Assert.Fail("mosquitto-clients is missing under CI=true (tests/scripts/setup.sh installs it)");
        Skip.If(missing, "mosquitto_sub/mosquitto_pub not installed (run tests/scripts/setup.sh as root to install mosquitto-clients)");
    }

    private string[] Login(string user, string password, string? caFile = null) =>
        ["-h", "127.0.0.1", "-p", Port, "--cafile", caFile ?? ApplianceProcess.SiteCaPath(_data.Path), "-i", user, "-u", user, "-P", password];

    private static string Wake(string deviceId) => $"edgemdm/devices/{deviceId}/wake";

    /// <summary>A certificate authority of nobody's site, made as the appliance makes its own.</summary>
    private static string OtherAuthorityPem()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=another site CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        using var authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddYears(1));
        return authority.ExportCertificatePem();
    }

    private async Task<EnrollResponse> EnrollAsync(string serial)
    {
        using var http = _appliance.CreateClient();
        var request = new EnrollRequest { EnrollmentToken = Processes.SeedToken, Serial = serial, Model = "TC52", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1" };
        using var response = await http.PostAsJsonAsync("/api/v1/enroll", request, DeviceProtocolJson.Default.EnrollRequest);
        response.EnsureSuccessStatusCode();
        var enrolled = (await response.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.EnrollResponse))!;
        Assert.Equal("mqtts://127.0.0.1:" + Port, enrolled.MqttUrl);
        return enrolled;
    }

    private async Task<string> AddClientAsync(string id, string role)
    {
        var added = await EdgeAsync("mqtt-clients", "add", id, "--role", role, "--json");
        Assert.True(added.ExitCode == 0, added.Stderr);
        using var json = JsonDocument.Parse(added.Stdout);
        return json.RootElement.GetProperty("secret").GetString()!;
    }

    private Task<CommandResult> EdgeAsync(params string[] args) =>
        Processes.RunAsync(Processes.EdgeDll, [.. args, "--data-dir", _data.Path], TimeSpan.FromSeconds(60));

    /// <summary>The broker's counters reach the store every 2 s; waits until they satisfy <paramref name="condition"/>.</summary>
    private async Task WaitForStatusAsync(Func<JsonElement, bool> condition)
    {
        JsonElement? last = null;
        await WaitUntilAsync(
            () =>
            {
                var status = EdgeAsync("mqtt", "status", "--json").Result;
                if (status.ExitCode != 0)
                    return false;
                using var json = JsonDocument.Parse(status.Stdout);
                last = json.RootElement.Clone();
                return condition(last.Value);
            },
            "mqtt status never showed it");
        Assert.Equal("embedded", last!.Value.GetProperty("mode").GetString());
    }

    /// <summary>mosquitto_sub prints nothing once subscribed; the broker's counters are not per subscription either, so give it a moment.</summary>
    private static Task WaitSubscribedAsync() => Task.Delay(TimeSpan.FromSeconds(1));

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), failure);
            await Task.Delay(250);
        }
    }
}

/// <summary>A real <c>edgemdm-agent run</c> process, enrolled at the appliance, whose log lines are kept; killed on dispose.</summary>
internal sealed class RunningAgent : IAsyncDisposable
{
    private readonly TempDirectory _state;
    private readonly System.Diagnostics.Process _process;

    private RunningAgent(TempDirectory state, System.Diagnostics.Process process, string deviceId)
    {
        _state = state;
        _process = process;
        DeviceId = deviceId;
        _process.ErrorDataReceived += (_, e) => Log.Enqueue(e.Data ?? "");
        _process.BeginErrorReadLine();
    }

    public string DeviceId { get; }

    public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();

    public static async Task<RunningAgent> StartAsync(ApplianceProcess appliance, string serial)
    {
        var state = new TempDirectory();
        var statePath = Path.Combine(state.Path, "agent.json");
        var enrolled = await Processes.RunAsync(
            Processes.AgentDll, ["enroll", .. appliance.AgentArgs, "--token", Processes.SeedToken, "--serial", serial, "--state", statePath], TimeSpan.FromSeconds(60));
        Assert.True(enrolled.ExitCode == 0, enrolled.Stderr);
        return new RunningAgent(state, Processes.Start(Processes.AgentDll, ["run", "--state", statePath]), enrolled.Stdout.Trim());
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _state.Dispose();
    }
}
