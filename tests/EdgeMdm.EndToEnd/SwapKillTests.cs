using System.Net.Http.Headers;
using System.Text;
using Xunit.Abstractions;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// Issue 25: a swap is all or nothing across a power cut. The real appliance process is SIGKILLed after a swap started,
/// and again while confirms are in flight; after each restart a swap is either wholly done or not begun: groups,
/// assignments, states, the custody chain and the outbox agree.
/// </summary>
public sealed class SwapKillTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_swap_started_through_the_cli_survives_a_sigkill_unchanged_and_is_confirmed_after_the_restart()
    {
        using var data = new TempDirectory();
        var appliance = await ApplianceProcess.StartAsync(data.Path, checkinIntervalSeconds: 30);
        try
        {
            using (var http = appliance.CreateClient())
            {
                await ActiveAsync(http, "SN-B");
                await ActiveAsync(http, "SN-S");
            }

            await CliAsync(data.Path, "spares", "pool", "set", "TC52", "--min", "1");
            await CliAsync(data.Path, "spares", "add", "SN-S");
            await CliAsync(data.Path, "devices", "assign", "SN-B", "--to", "picker 12");
            // The appliance serves the data directory: the command goes through its API (it lights the LED).
            var started = JsonNode.Parse(await CliAsync(data.Path, "swap", "start", "SN-B", "--reason", "cracked screen", "--json"))!;
            var swapId = started["swapId"]!.GetValue<string>();
            Assert.Equal(("SN-S", "operator:" + Environment.UserName), (started["proposedSerial"]!.GetValue<string>(), started["createdBy"]!.GetValue<string>()));
            var before = Floor.Read(data.Path);

            await appliance.KillAsync();
            await appliance.DisposeAsync();
            appliance = await ApplianceProcess.StartAsync(data.Path, checkinIntervalSeconds: 30);

            Assert.Equal(before, Floor.Read(data.Path));
            Assert.Equal("Proposed", before.Swaps[swapId]);
            var confirmed = JsonNode.Parse(await CliAsync(data.Path, "swap", "confirm", swapId, "--spare", "SN-S", "--json"))!;
            Assert.Equal("Confirmed", confirmed["state"]!.GetValue<string>());
            var after = Floor.Read(data.Path);
            Assert.Equal(("pickers", "picker 12", "Active"), after.Devices["SN-S"]);
            Assert.Equal(("pickers", (string?)null, "Quarantined"), after.Devices["SN-B"]);
            Assert.Equal(1, after.Custody.GetValueOrDefault("SN-B"));

            // With no appliance serving, the commands work on the data directory: the pool (its only spare handed out)
            // is under its minimum and says so, and a new swap finds no Ready spare.
            await appliance.KillAsync();
            var alerts = JsonNode.Parse(await CliAsync(data.Path, "alerts", "--json"))!.AsArray();
            var refused = await Processes.RunAsync(Processes.EdgeDll, ["swap", "start", "SN-S", "--reason", "dropped", "--data-dir", data.Path], CliTimeout);
            Assert.Equal(("spares.below_minimum", "TC52"), (alerts.Single()!["kind"]!.GetValue<string>(), alerts.Single()!["subject"]!.GetValue<string>()));
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("no Ready spare", refused.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            await appliance.DisposeAsync();
        }
    }

    [Fact]
    public async Task Confirms_cut_by_sigkill_at_varied_moments_are_each_wholly_done_or_not_begun()
    {
        const int Rounds = 8;
        int[] delaysMs = [0, 3, 8, 15, 30, 60, 120, 250];
        using var data = new TempDirectory();
        var appliance = await ApplianceProcess.StartAsync(data.Path, checkinIntervalSeconds: 30);
        try
        {
            await FloorOfPairsAsync(appliance, data.Path, Rounds);

            var outcomes = new List<string>();
            for (var round = 0; round < Rounds; round++)
            {
                var broken = $"SN-B{round}";
                var (swapId, spare) = await StartSwapAsync(appliance, data.Path, broken);
                var before = Floor.Read(data.Path);

                var confirm = ConfirmAsync(appliance, data.Path, swapId, spare);
                await Task.Delay(delaysMs[round]);
                await appliance.KillAsync();
                await appliance.DisposeAsync();
                try
                {
                    await confirm;
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
                {
                    // Cut mid-request, as intended.
                }

                appliance = await ApplianceProcess.StartAsync(data.Path, checkinIntervalSeconds: 30);
                outcomes.Add(AssertWholeOrNothing(before, Floor.Read(data.Path), swapId, broken, spare, $"picker {round}"));
            }

            Assert.Equal(Rounds, outcomes.Count);
            output.WriteLine("rounds: " + string.Join(", ", outcomes.Select((o, i) => $"{delaysMs[i]} ms {o}")));
        }
        finally
        {
            await appliance.DisposeAsync();
        }
    }

    /// <summary>Pairs SN-Bi (handed to picker i) and SN-Si (a spare of the TC52 pool, minimum 0), all Active at 95 %.</summary>
    private static async Task FloorOfPairsAsync(ApplianceProcess appliance, string dataDir, int pairs)
    {
        using (var http = appliance.CreateClient())
        {
            for (var i = 0; i < pairs; i++)
            {
                await ActiveAsync(http, $"SN-B{i}");
                await ActiveAsync(http, $"SN-S{i}");
            }
        }

        await CliAsync(dataDir, "spares", "pool", "set", "TC52", "--min", "0");
        for (var i = 0; i < pairs; i++)
        {
            await CliAsync(dataDir, "spares", "add", $"SN-S{i}");
            await CliAsync(dataDir, "devices", "assign", $"SN-B{i}", "--to", $"picker {i}");
        }
    }

    /// <summary>The swap is still Proposed and nothing moved, or Confirmed with every one of its changes; returns which.</summary>
    private static string AssertWholeOrNothing(Floor before, Floor after, string swapId, string broken, string spare, string assignment)
    {
        if (string.Equals(after.Swaps[swapId], "Proposed", StringComparison.Ordinal))
        {
            Assert.Equal(before, after);
            return "untouched";
        }

        Assert.Equal("Confirmed", after.Swaps[swapId]);
        Assert.Equal(("pickers", assignment, "Active"), after.Devices[spare]);
        Assert.Equal(("pickers", (string?)null, "Quarantined"), after.Devices[broken]);
        Assert.Equal(before.Custody.GetValueOrDefault(broken) + 1, after.Custody.GetValueOrDefault(broken));
        Assert.Equal(before.Outbox.GetValueOrDefault(spare) + 1, after.Outbox.GetValueOrDefault(spare));
        // Its assignment taken away, its transition to Quarantined, its repair record.
        Assert.Equal(before.Outbox.GetValueOrDefault(broken) + 3, after.Outbox.GetValueOrDefault(broken));
        Assert.Equal(before.Transitions + 1, after.Transitions);
        return "swapped";
    }

    private static async Task<(string SwapId, string Spare)> StartSwapAsync(ApplianceProcess appliance, string dataDir, string broken)
    {
        using var http = appliance.CreateClient();
        using var response = await http.SendAsync(Operator(HttpMethod.Post, "/api/v1/swaps", dataDir, $$"""{"deviceId":"{{broken}}","reason":"dropped"}"""));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        var swap = JsonNode.Parse(body)!;
        return (swap["swapId"]!.GetValue<string>(), swap["proposedSerial"]!.GetValue<string>());
    }

    private static async Task ConfirmAsync(ApplianceProcess appliance, string dataDir, string swapId, string spare)
    {
        using var http = appliance.CreateClient(TimeSpan.FromSeconds(10));
        using var response = await http.SendAsync(Operator(HttpMethod.Post, $"/api/v1/swaps/{swapId}/confirm", dataDir, $$"""{"spareSerial":"{{spare}}"}"""));
    }

    /// <summary>A request as an operator command on the appliance's machine sends it: with the local operator token.</summary>
    private static HttpRequestMessage Operator(HttpMethod method, string path, string dataDir, string body)
    {
        var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(dataDir, "operator.token")).Trim());
        return request;
    }

    /// <summary>Enrolls the device and checks it in compliant (so it is Active), at 95 % charge.</summary>
    private static async Task ActiveAsync(HttpClient http, string serial)
    {
        var request = new EnrollRequest { EnrollmentToken = Processes.SeedToken, Serial = serial, Model = "TC52", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1.0.0" };
        using var enrolled = await http.PostAsJsonAsync("/api/v1/enroll", request, DeviceProtocolJson.Default.EnrollRequest);
        Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        var secret = (await enrolled.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.EnrollResponse))!.DeviceSecret;
        using var get = new HttpRequestMessage(HttpMethod.Get, "/api/v1/declarations");
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using var declared = await http.SendAsync(get);
        var declarations = (await declared.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.DeclarationsDocument))!;
        var status = new DeviceStatus
        {
            Apps = declarations.Apps.Select(a => new InstalledApp { PackageName = a.PackageName, VersionCode = a.VersionCode, VersionName = a.VersionName }).ToList(),
            Os = new OsStatus { Version = "14", SecurityPatch = new DateOnly(2026, 10, 1) },
            Battery = new BatteryStatus { Level = 95, HealthPercent = 95, CycleCount = 120, Charging = false, Docked = false },
            Configurations = declarations.Configurations.Select(c => new AppliedConfiguration { Id = c.Id, AppliedHash = c.Hash }).ToList(),
            Certificates = declarations.Certificates.Select(c => new CertificateStatus { Name = c.Name, NotAfter = new DateTimeOffset(2027, 11, 1, 0, 0, 0, TimeSpan.Zero) }).ToList(),
            Staging = new StagingProgress { CompletedSteps = 3, TotalSteps = 3 },
        };
        using var checkin = new HttpRequestMessage(HttpMethod.Post, "/api/v1/checkin")
        {
            Content = JsonContent.Create(new CheckinRequest { DeclarationsToken = declarations.Token, Status = status }, DeviceProtocolJson.Default.CheckinRequest),
        };
        checkin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using var checkedIn = await http.SendAsync(checkin);
        Assert.Equal(HttpStatusCode.OK, checkedIn.StatusCode);
    }

    private static async Task<string> CliAsync(string dataDir, params string[] args)
    {
        var result = await Processes.RunAsync(Processes.EdgeDll, [.. args, "--data-dir", dataDir], CliTimeout);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)}: exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        return result.Stdout;
    }

    /// <summary>What a swap touches, read from the appliance's database file, keyed by serial.</summary>
    private sealed record Floor(
        IReadOnlyDictionary<string, (string Group, string? Assignment, string State)> Devices,
        IReadOnlyDictionary<string, int> Custody,
        IReadOnlyDictionary<string, int> Outbox,
        IReadOnlyDictionary<string, string> Swaps,
        long Transitions)
    {
        public static Floor Read(string dataDir)
        {
            using var db = new SQLiteConnection(Path.Combine(dataDir, "edge.db"), SQLiteOpenFlags.ReadOnly);
            var devices = db.Query<DeviceRow>("SELECT id AS Id, serial AS Serial, group_name AS GroupName, assignment AS Assignment, state AS State FROM devices");
            var serials = devices.ToDictionary(d => d.Id, d => d.Serial, StringComparer.Ordinal);
            return new Floor(
                devices.ToDictionary(d => d.Serial, d => (d.GroupName, d.Assignment, d.State), StringComparer.Ordinal),
                db.Query<CountRow>("SELECT subject AS Key, count(*) AS Count FROM custody_events GROUP BY subject").ToDictionary(r => serials[r.Key], r => r.Count, StringComparer.Ordinal),
                db.Query<CountRow>("SELECT device_id AS Key, count(*) AS Count FROM outbox WHERE device_id <> '' GROUP BY device_id").ToDictionary(r => serials[r.Key], r => r.Count, StringComparer.Ordinal),
                db.Query<CountRow>("SELECT id AS Key, state AS State FROM swaps").ToDictionary(r => r.Key, r => r.State, StringComparer.Ordinal),
                db.ExecuteScalar<long>("SELECT count(*) FROM device_transitions"));
        }

        public bool Equals(Floor? other) =>
            other is not null && Transitions == other.Transitions
            && Same(Devices, other.Devices) && Same(Custody, other.Custody) && Same(Outbox, other.Outbox) && Same(Swaps, other.Swaps);

        public override int GetHashCode() => Transitions.GetHashCode();

        private static bool Same<T>(IReadOnlyDictionary<string, T> a, IReadOnlyDictionary<string, T> b) =>
            a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && EqualityComparer<T>.Default.Equals(kv.Value, v));

        private sealed class DeviceRow
        {
            public string Id { get; set; } = "";
            public string Serial { get; set; } = "";
            public string GroupName { get; set; } = "";
            public string? Assignment { get; set; }
            public string State { get; set; } = "";
        }

        private sealed class CountRow
        {
            public string Key { get; set; } = "";
            public int Count { get; set; }
            public string State { get; set; } = "";
        }
    }
}
