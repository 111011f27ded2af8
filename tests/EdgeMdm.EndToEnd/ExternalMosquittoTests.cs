namespace EdgeMdm.EndToEnd;

/// <summary>
/// A site whose broker is Debian's Mosquitto: the appliance publishes wakes there as a client and writes Mosquitto's
/// password and ACL files, so a device logs in at Mosquitto with its device credential and only reads its own topics.
/// Over TLS, Mosquitto serves the site certificate from <c>DATA/tls</c>: the appliance publishes with <c>mqtts://</c>,
/// checking the chain to the site CA, and <c>mosquitto_sub</c> trusts <c>--cafile DATA/tls/site-ca.pem</c>.
/// </summary>
public sealed class ExternalMosquittoTests
{
    private const string Mosquitto = "/usr/sbin/mosquitto";

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Device_logs_in_at_mosquitto_with_its_device_credential_and_gets_the_wake_the_appliance_publishes_there(bool tls)
    {
        SkipWithoutMosquitto();
        using var data = new TempDirectory();
        Directory.CreateDirectory(data.Path);
        var port = ApplianceProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        var passwords = Path.Combine(data.Path, "mosquitto.passwd");
        var acl = Path.Combine(data.Path, "mosquitto.acl");
        var edgeDir = Path.Combine(data.Path, "edge");
        await using var appliance = await ApplianceProcess.StartAsync(edgeDir, checkinIntervalSeconds: 600, extraArgs:
        [
            "--mqtt-external", (tls ? "mqtts://" : "") + "127.0.0.1:" + port, "--mqtt-external-user", "edgemdm-appliance", "--mqtt-external-password", "appliance-secret-1",
            "--mqtt-external-password-file", passwords, "--mqtt-external-acl-file", acl,
        ]);
        var device = await EnrollAsync(appliance);
        var other = await EnrollAsync(appliance, "EXT-OTHER");
        Assert.Equal((tls ? "mqtts://" : "mqtt://") + "127.0.0.1:" + port, device.MqttUrl);
        string[] trust = tls ? ["--cafile", ApplianceProcess.SiteCaPath(edgeDir)] : [];
        await WaitUntilAsync(() => File.Exists(passwords) && File.ReadAllText(passwords).Contains(other.DeviceId + ":$7$", StringComparison.Ordinal), "the password file never named the devices");

        var config = Path.Combine(data.Path, "mosquitto.conf");
        await File.WriteAllTextAsync(config, MosquittoConfig(port, passwords, acl, tls ? edgeDir : null));
        using var broker = Processes.StartProgram(Mosquitto, ["-c", config]);
        try
        {
            await WaitUntilAsync(() => CanConnect(int.Parse(port, CultureInfo.InvariantCulture)), "mosquitto did not start");
            string[] login = ["-h", "127.0.0.1", "-p", port, .. trust, "-i", device.DeviceId, "-u", device.DeviceId, "-P", device.DeviceSecret];
            using var subscriber = Processes.StartProgram("mosquitto_sub", [.. login, "-t", $"edgemdm/devices/{device.DeviceId}/wake", "-q", "1", "-C", "1", "-v", "-W", "30"]);
            await Task.Delay(TimeSpan.FromSeconds(1));

            var queued = await Processes.RunAsync(Processes.EdgeDll, ["commands", "send", "--device", device.DeviceId, "ring", "--data-dir", Path.Combine(data.Path, "edge")], TimeSpan.FromSeconds(60));
            Assert.Equal(0, queued.ExitCode);

            var (exitCode, stdout, stderr) = await Processes.FinishAsync(subscriber, TimeSpan.FromSeconds(40));
            Assert.True(exitCode == 0, "mosquitto_sub: " + stderr);
            Assert.Equal($"edgemdm/devices/{device.DeviceId}/wake {{\"reason\":\"command\"}}", stdout.TrimEnd('\n'));

            // Mosquitto grants the subscription and withholds what the ACL forbids: the snoop sees nothing of the
            // wake the other device does get.
            using var snoop = Processes.StartProgram("mosquitto_sub", [.. login, "-t", $"edgemdm/devices/{other.DeviceId}/wake", "-C", "1", "-W", "6"]);
            using var owner = Processes.StartProgram("mosquitto_sub", ["-h", "127.0.0.1", "-p", port, .. trust, "-i", other.DeviceId, "-u", other.DeviceId, "-P", other.DeviceSecret,
                "-t", $"edgemdm/devices/{other.DeviceId}/wake", "-q", "1", "-C", "1", "-W", "30"]);
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(0, (await Processes.RunAsync(Processes.EdgeDll, ["commands", "send", "--device", other.DeviceId, "ring", "--data-dir", Path.Combine(data.Path, "edge")], TimeSpan.FromSeconds(60))).ExitCode);
            var owned = await Processes.FinishAsync(owner, TimeSpan.FromSeconds(40));
            var snooped = await Processes.FinishAsync(snoop, TimeSpan.FromSeconds(40));
            Assert.Equal("{\"reason\":\"command\"}", owned.Stdout.TrimEnd('\n'));
            Assert.Equal("", snooped.Stdout);

            using var wrong = Processes.StartProgram("mosquitto_sub", ["-h", "127.0.0.1", "-p", port, .. trust, "-i", device.DeviceId, "-u", device.DeviceId, "-P", "ds_wrong", "-t", "x", "-C", "1", "-W", "5"]);
            var refused = await Processes.FinishAsync(wrong, TimeSpan.FromSeconds(40));
            Assert.NotEqual(0, refused.ExitCode);
        }
        finally
        {
            broker.Kill();
            await broker.WaitForExitAsync();
        }
    }

    private static void SkipWithoutMosquitto()
    {
        var missing = !File.Exists(Mosquitto) || !File.Exists("/usr/bin/mosquitto_sub");
        if (missing && string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.Ordinal))
            Assert.Fail("mosquitto is missing under CI=true (tests/scripts/setup.sh installs it)");
        Skip.If(missing, "mosquitto not installed (run tests/scripts/setup.sh as root to install mosquitto and mosquitto-clients)");
    }

    /// <summary>One listener on loopback; with <paramref name="tlsFrom"/>, TLS with the site certificate of that data directory.</summary>
    private static string MosquittoConfig(string port, string passwords, string acl, string? tlsFrom)
    {
        // The password file and the site key are the appliance's (mode 0600): Mosquitto runs as the same user, as the
        // README asks, never dropping to its own.
        var tls = tlsFrom is null
            ? ""
            : $"cafile {ApplianceProcess.SiteCaPath(tlsFrom)}\ncertfile {Path.Combine(tlsFrom, "tls", "server.pem")}\nkeyfile {Path.Combine(tlsFrom, "tls", "server.key")}\n";
        return $"listener {port} 127.0.0.1\nuser {Environment.UserName}\n{tls}allow_anonymous false\npassword_file {passwords}\nacl_file {acl}\npersistence false\n";
    }

    private static async Task<EnrollResponse> EnrollAsync(ApplianceProcess appliance, string serial = "EXT-1")
    {
        using var http = appliance.CreateClient();
        var request = new EnrollRequest { EnrollmentToken = Processes.SeedToken, Serial = serial, Model = "TC52", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1" };
        using var response = await http.PostAsJsonAsync("/api/v1/enroll", request, DeviceProtocolJson.Default.EnrollRequest);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.EnrollResponse))!;
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), failure);
            await Task.Delay(200);
        }
    }
}
