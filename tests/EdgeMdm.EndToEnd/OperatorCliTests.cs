using System.Text.RegularExpressions;

namespace EdgeMdm.EndToEnd;

/// <summary>The operator commands, run as processes against the directory a running appliance serves.</summary>
public sealed class OperatorCliTests
{
    private static Task<CommandResult> EdgeAsync(params string[] args) => Processes.RunAsync(Processes.EdgeDll, args, TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Token_create_prints_the_token_alone_and_it_enrolls_a_device_while_serve_runs()
    {
        using var data = new TempDirectory();
        await using var appliance = await ApplianceProcess.StartAsync(data.Path);

        var created = await EdgeAsync("token", "create", "--group", "pickers", "--uses", "2", "--expires", "8h", "--data-dir", data.Path);

        Assert.Equal(0, created.ExitCode);
        var token = created.Stdout.TrimEnd('\n');
        Assert.Matches(new Regex("^et_[A-Za-z0-9_-]{32}$", RegexOptions.None, TimeSpan.FromSeconds(1)), token);
        using var http = appliance.CreateClient();
        var enrollment = new EnrollRequest { EnrollmentToken = token, Serial = "CLI-1", Model = "CT40", Manufacturer = "Honeywell", OsVersion = "13", AgentVersion = "1" };
        using var response = await http.PostAsJsonAsync("/api/v1/enroll", enrollment, DeviceProtocolJson.Default.EnrollRequest);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Tls_show_prints_the_pin_of_the_certificate_served_and_the_site_ca_while_serve_runs_and_after()
    {
        using var data = new TempDirectory();
        string served;
        await using (var appliance = await ApplianceProcess.StartAsync(data.Path))
        {
            // The pin of the certificate a TLS handshake is actually served, not of a file.
            using var handler = new SocketsHttpHandler();
            string? seen = null;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => (seen = ServerProcess.PinOf(certificate!)) is not null;
            using var http = new HttpClient(handler) { BaseAddress = appliance.Url };
            (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).EnsureSuccessStatusCode();
            served = seen!;

            var table = await EdgeAsync("tls", "show", "--data-dir", data.Path);
            Assert.Equal(0, table.ExitCode);
            Assert.Contains("pin          " + served, table.Stdout, StringComparison.Ordinal);
        }

        var json = await EdgeAsync("tls", "show", "--json", "--data-dir", data.Path);

        Assert.Equal(0, json.ExitCode);
        using var shown = JsonDocument.Parse(json.Stdout);
        Assert.Equal(served, shown.RootElement.GetProperty("pin").GetString());
        Assert.Equal("site", shown.RootElement.GetProperty("source").GetString());
        Assert.Equal(Path.Combine(data.Path, "tls", "site-ca.pem"), shown.RootElement.GetProperty("authorityFile").GetString());
        Assert.Contains("edgemdm-dc-demo-01.local", shown.RootElement.GetProperty("hostNames").EnumerateArray().Select(n => n.GetString()));
        Assert.Contains("127.0.0.1", shown.RootElement.GetProperty("addresses").EnumerateArray().Select(n => n.GetString()));
        Assert.True(shown.RootElement.GetProperty("notAfter").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(300));
    }

    [Fact]
    public async Task Devices_list_and_drift_print_tables_and_json_arrays()
    {
        using var data = new TempDirectory();
        await using var appliance = await ApplianceProcess.StartAsync(data.Path);
        using var http = appliance.CreateClient();
        foreach (var serial in new[] { "CLI-A", "CLI-B" })
        {
            var enrollment = new EnrollRequest { EnrollmentToken = Processes.SeedToken, Serial = serial, Model = "TC52", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1" };
            (await http.PostAsJsonAsync("/api/v1/enroll", enrollment, DeviceProtocolJson.Default.EnrollRequest)).EnsureSuccessStatusCode();
        }

        var table = await EdgeAsync("devices", "list", "--data-dir", data.Path);
        var json = await EdgeAsync("devices", "list", "--json", "--data-dir", data.Path);
        var drift = await EdgeAsync("drift", "--json", "--data-dir", data.Path);

        Assert.Equal(0, table.ExitCode);
        Assert.Contains("CLI-A", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("2 devices, 0 compliant", table.Stdout, StringComparison.Ordinal);
        using var devices = JsonDocument.Parse(json.Stdout);
        Assert.Equal(JsonValueKind.Array, devices.RootElement.ValueKind);
        Assert.Equal(["CLI-A", "CLI-B"], devices.RootElement.EnumerateArray().Select(d => d.GetProperty("serial").GetString()));
        Assert.All(devices.RootElement.EnumerateArray(), d => Assert.Equal("Staging", d.GetProperty("state").GetString()));
        using var driftJson = JsonDocument.Parse(drift.Stdout);
        // Enrolled a moment ago and not reported yet: unknown, neither non-compliant nor stale (issue 26).
        Assert.Equal((0, 2, 0), (driftJson.RootElement.GetProperty("nonCompliant").GetArrayLength(), driftJson.RootElement.GetProperty("unknown").GetArrayLength(), driftJson.RootElement.GetProperty("stale").GetArrayLength()));
        Assert.All(devices.RootElement.EnumerateArray(), d => Assert.Equal("unknown", d.GetProperty("compliance").GetString()));
    }

    [Fact]
    public async Task Allow_reenroll_lets_an_active_device_enroll_again_once_and_devices_show_keeps_the_record()
    {
        using var data = new TempDirectory();
        await using var appliance = await ApplianceProcess.StartAsync(data.Path);
        using var http = appliance.CreateClient();
        var enrollment = new EnrollRequest { EnrollmentToken = Processes.SeedToken, Serial = "CLI-WIPED", Model = "TC52", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1" };
        async Task<HttpStatusCode> EnrollAsync()
        {
            using var response = await http.PostAsJsonAsync("/api/v1/enroll", enrollment, DeviceProtocolJson.Default.EnrollRequest);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Created, await EnrollAsync());
        Assert.Equal(0, (await EdgeAsync("devices", "set-state", "CLI-WIPED", "Active", "--reason", "staged by hand", "--data-dir", data.Path)).ExitCode);
        var before = await EnrollAsync();

        var allowed = await EdgeAsync("devices", "allow-reenroll", "CLI-WIPED", "--expires", "30m", "--reason", "wiped on the bench", "--data-dir", data.Path);
        var once = await EnrollAsync();
        Assert.Equal(0, (await EdgeAsync("devices", "set-state", "CLI-WIPED", "Active", "--reason", "staged again", "--data-dir", data.Path)).ExitCode);
        var twice = await EnrollAsync();
        var shown = await EdgeAsync("devices", "show", "CLI-WIPED", "--data-dir", data.Path);
        var json = await EdgeAsync("devices", "show", "CLI-WIPED", "--json", "--data-dir", data.Path);

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Created, HttpStatusCode.Forbidden), (before, once, twice));
        Assert.Equal(0, allowed.ExitCode);
        Assert.Matches(
            new Regex(@"^CLI-WIPED \(dev-[0-9a-f]{16}, Active\) may enroll again once, until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d; allowance 1 by operator:\S+: wiped on the bench\n$", RegexOptions.None, TimeSpan.FromSeconds(1)),
            allowed.Stdout);
        Assert.Contains("re-enrollment allowances:", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains("  used  by operator:", shown.Stdout, StringComparison.Ordinal);
        using var detail = JsonDocument.Parse(json.Stdout);
        var allowance = Assert.Single(detail.RootElement.GetProperty("allowances").EnumerateArray());
        Assert.Equal(("used", "wiped on the bench", "Active"), (allowance.GetProperty("outcome").GetString(), allowance.GetProperty("reason").GetString(), allowance.GetProperty("state").GetString()));
    }

    [Theory]
    [InlineData(1, "devices", "allow-reenroll", "nobody")]
    [InlineData(2, "devices", "allow-reenroll", "nobody", "--expires", "2d")]
    [InlineData(2, "devices", "allow-reenroll", "nobody", "--expires", "soon")]
    [InlineData(2, "devices", "allow-reenroll", "nobody", "--reason", " ")]
    [InlineData(2, "token", "create", "--uses", "3")]
    [InlineData(2, "token", "create", "--group", "pickers", "--expires", "eight hours")]
    [InlineData(1, "token", "create", "--group", "no-such-group")]
    [InlineData(2, "devices", "frobnicate")]
    [InlineData(1, "devices", "set-state", "nobody", "Active", "--reason", "x")]
    [InlineData(2, "mqtt-clients", "add", "bay/3", "--role", "cradle")]
    [InlineData(2, "mqtt-clients", "add", "dev-1234", "--role", "cradle")]
    [InlineData(2, "mqtt-clients", "add", "bay-3", "--role", "admin")]
    [InlineData(1, "mqtt-clients", "remove", "nobody")]
    [InlineData(1, "mqtt", "status")]
    [InlineData(2, "commands", "send", "ring")]
    [InlineData(2, "commands", "send", "--device", "d", "--group", "pickers", "ring")]
    [InlineData(1, "commands", "send", "--group", "nobody-here", "ring")]
    public async Task Bad_usage_or_refusal_is_one_line_on_stderr_and_a_nonzero_exit(int exitCode, params string[] args)
    {
        using var data = new TempDirectory();
        await using (await ApplianceProcess.StartAsync(data.Path))
        {
            var result = await EdgeAsync([.. args, "--data-dir", data.Path]);

            Assert.Equal(exitCode, result.ExitCode);
            Assert.Equal("", result.Stdout);
            var line = Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
            Assert.StartsWith("edgemdm-edge: ", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Operator_command_on_a_directory_without_a_database_says_so()
    {
        using var data = new TempDirectory();

        var result = await EdgeAsync("devices", "list", "--data-dir", data.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no appliance database", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, "invalid settings: Edge:CheckinIntervalSeconds (--checkin-interval) must be between 1 and 86400", "--checkin-interval", "0")]
    [InlineData(2, "invalid settings: Edge:SeedFile (--seed) names", "--seed", "/nonexistent/site.yaml")]
    public async Task Serve_with_bad_settings_stops_at_once_with_one_line(int exitCode, string message, params string[] args)
    {
        using var data = new TempDirectory();

        var result = await EdgeAsync(["serve", "--data-dir", data.Path, "--urls", "http://127.0.0.1:0", .. args]);

        Assert.Equal(exitCode, result.ExitCode);
        var line = Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("edgemdm-edge: " + message, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_with_a_bad_seed_file_names_the_field_and_writes_nothing()
    {
        using var data = new TempDirectory();
        Directory.CreateDirectory(data.Path);
        var seed = Path.Combine(data.Path, "seed.yaml");
        await File.WriteAllTextAsync(seed, "blueprints:\n  - group: a\n    apps:\n      - packageName: x\n        versionCode: -1\n");

        var result = await EdgeAsync("serve", "--data-dir", Path.Combine(data.Path, "edge"), "--seed", seed, "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("blueprints[0].apps[0].versionCode must be a positive number", result.Stderr, StringComparison.Ordinal);
    }
}
