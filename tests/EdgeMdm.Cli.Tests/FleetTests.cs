using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Cli.Tests;

/// <summary>devices list, commands send/show, tokens create and report drift against the fake hub.</summary>
public sealed partial class FleetTests : SignedInCliTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Hub.Sites["site-a"] = "Lyon DC";
        Hub.Sites["site-b"] = "Truck 12";
        Hub.Devices.Add(Device("site-a", "dev-1", "SER001", compliant: true, findings: 0, scanner: 120));
        Hub.Devices.Add(Device("site-a", "dev-2", "SER002", compliant: false, findings: 2, scanner: 100));
        Hub.Devices.Add(Device("site-b", "dev-3", "SER003", compliant: true, findings: 0, scanner: 120, lastCheckin: "2026-11-20T08:00:00+00:00"));
        Cli.Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    }

    private static JsonObject Device(string site, string id, string serial, bool compliant, int findings, int scanner, string lastCheckin = "2026-11-24T10:00:00+00:00") => new()
    {
        ["siteId"] = site,
        ["deviceId"] = id,
        ["serial"] = serial,
        ["model"] = "TC52",
        ["manufacturer"] = "Zebra",
        ["osVersion"] = "13",
        ["group"] = "pickers",
        ["state"] = "Active",
        ["statusJson"] = new JsonObject
        {
            ["apps"] = new JsonArray(new JsonObject
            {
                ["packageName"] = "com.acme.scan",
                ["versionCode"] = scanner,
                ["versionName"] = scanner == 120 ? "1.2" : "1.0",
            }),
            ["battery"] = new JsonObject { ["level"] = 80 },
        }.ToJsonString(),
        ["compliant"] = compliant,
        ["findings"] = findings,
        ["driftFindings"] = findings == 0 ? new JsonArray() : new JsonArray(
            new JsonObject { ["item"] = "app:com.acme.scan", ["expected"] = "1.2 (120)", ["actual"] = "1.0 (100)", ["severity"] = "Major" },
            new JsonObject { ["item"] = "os.version", ["expected"] = ">= 14", ["actual"] = "13", ["severity"] = "Major" }),
        ["lastCheckin"] = lastCheckin,
    };

    /// <summary>A device enrolled at <paramref name="enrolledAt"/> that has reported nothing since, as the hub answers it.</summary>
    private static JsonObject Fresh(string site, string id, string serial, string enrolledAt) => new()
    {
        ["siteId"] = site, ["deviceId"] = id, ["serial"] = serial, ["group"] = "pickers", ["state"] = "Enrolling",
        ["statusJson"] = "{}", ["compliant"] = false, ["findings"] = 0, ["enrolledAt"] = enrolledAt,
    };

    [Fact]
    public async Task A_device_enrolled_two_minutes_ago_that_has_not_reported_is_unknown_not_non_compliant_nor_stale()
    {
        // Arrange: enrolled at 11:58, the clock says 12:00
        Hub.Devices.Add(Fresh("site-a", "dev-new", "SER009", "2026-11-24T11:58:00+00:00"));

        // Act
        var report = await Cli.RunAsync("report", "drift", "--site", "site-a");
        var json = await Cli.RunAsync("report", "drift", "--site", "site-a", "--json");
        var list = await Cli.RunAsync("devices", "list", "--site", "site-a");

        // Assert
        Assert.Matches(@"^site-a\s+3\s+1\s+1\s+1\s+0$", report.OutLines[1]);
        var unknown = report.OutLines.ToList().IndexOf("unknown (enrolled, nothing reported yet):");
        Assert.True(unknown > 0, report.Out);
        Assert.Contains("SER009", report.OutLines[unknown + 2], StringComparison.Ordinal);
        Assert.Contains("enrolled 2m ago", report.OutLines[unknown + 2], StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal("dev-new", Assert.Single(document.RootElement.GetProperty("unknown").EnumerateArray()).GetProperty("deviceId").GetString());
        Assert.DoesNotContain(document.RootElement.GetProperty("nonCompliant").EnumerateArray(), d => string.Equals(d.GetProperty("deviceId").GetString(), "dev-new", StringComparison.Ordinal));
        Assert.Contains(list.OutLines, l => l.Contains("SER009", StringComparison.Ordinal) && l.Contains(" unknown ", StringComparison.Ordinal));
        Assert.Equal("3 devices, 1 compliant, 1 non-compliant, 1 unknown", list.OutLines[^1]);
    }

    [Fact]
    public async Task Devices_list_carries_the_key_app_version_and_the_dock_state_the_hub_sends()
    {
        // Arrange
        Hub.Devices[1]["keyApp"] = new JsonObject { ["packageName"] = "com.acme.scan", ["requiredVersionCode"] = 120, ["requiredVersionName"] = "1.2", ["installedVersionCode"] = 100, ["installedVersionName"] = "1.0" };
        Hub.Devices[1]["dock"] = "C1/3";

        // Act
        var table = await Cli.RunAsync("devices", "list");
        var json = await Cli.RunAsync("devices", "list", "--json");

        // Assert
        Assert.Matches(@"^SITE\s+DEVICE\s+SERIAL\s+MODEL\s+GROUP\s+STATE\s+COMPLIANCE\s+APP\s+BATTERY\s+DOCK\s+OS\s+LAST CHECK-IN$", table.OutLines[0]);
        Assert.Contains(table.OutLines, l => l.Contains("dev-2", StringComparison.Ordinal) && l.Contains("com.acme.scan 1.0 (100), wants 1.2 (120)", StringComparison.Ordinal) && l.Contains("C1/3", StringComparison.Ordinal) && l.Contains("80 %", StringComparison.Ordinal));
        using var document = JsonDocument.Parse(json.Out);
        var dev2 = document.RootElement[1];
        Assert.Equal(("C1/3", "non-compliant", 80), (dev2.GetProperty("dock").GetString(), dev2.GetProperty("compliance").GetString(), dev2.GetProperty("batteryLevel").GetInt32()));
    }

    [Fact]
    public async Task Devices_show_finds_a_device_by_serial_and_shows_what_it_reports()
    {
        // Act
        var table = await Cli.RunAsync("devices", "show", "SER002");
        var json = await Cli.RunAsync("devices", "show", "SER002", "--json");

        // Assert
        Assert.Equal(0, table.Exit);
        Assert.StartsWith("dev-2  serial SER002", table.OutLines[0], StringComparison.Ordinal);
        Assert.Contains("compliance: non-compliant (2)", table.OutLines);
        Assert.Contains(table.OutLines, l => l.Contains("app:com.acme.scan: expected 1.2 (120), found 1.0 (100)", StringComparison.Ordinal));
        Assert.Contains("battery: 80 %, not charging, dock unknown", table.OutLines);
        Assert.Contains("app: com.acme.scan 1.0 (100)", table.OutLines);
        Assert.Contains("os: not reported", table.OutLines);
        Assert.Contains(table.OutLines, l => l.Contains("- → Enrolling  by device: enrolled", StringComparison.Ordinal));
        Assert.Contains("GET /api/v1/devices/SER002", Hub.Requests);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal("dev-2", document.RootElement.GetProperty("device").GetProperty("deviceId").GetString());
        Assert.Contains(document.RootElement.GetProperty("reports").EnumerateArray(), l => string.Equals(l.GetProperty("label").GetString(), "battery", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Devices_show_of_a_serial_known_at_two_sites_is_one_line_naming_the_candidates()
    {
        // Arrange
        Hub.Devices.Add(Device("site-b", "dev-7", "SER002", compliant: true, findings: 0, scanner: 120));

        // Act
        var ambiguous = await Cli.RunAsync("devices", "show", "SER002");
        var narrowed = await Cli.RunAsync("devices", "show", "SER002", "--site", "site-b");

        // Assert
        Assert.Equal(1, ambiguous.Exit);
        Assert.Equal(
            ["edgemdm: Conflict: 'SER002' names 2 devices: dev-2 (serial SER002) at site-a, dev-7 (serial SER002) at site-b; give siteId (--site) or the device id"],
            ambiguous.ErrLines);
        Assert.Equal(0, narrowed.Exit);
        Assert.StartsWith("dev-7", narrowed.OutLines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_send_of_a_type_the_agent_does_not_know_is_one_line_and_queues_nothing()
    {
        // Act
        var result = await Cli.RunAsync("commands", "send", "--device", "dev-1", "self-destruct");

        // Assert
        Assert.Equal(1, result.Exit);
        Assert.Equal(
            ["edgemdm: Unknown command type: the device agent does not know the command type 'self-destruct'; known types: clear-app-data, lock, reboot, refresh-status, ring, staging.retryStep, wipe"],
            result.ErrLines);
        Assert.Empty(Hub.Commands);
    }

    [Fact]
    public async Task Devices_list_is_a_table_and_a_json_array_filtered_by_site()
    {
        // Act
        var table = await Cli.RunAsync("devices", "list");
        var json = await Cli.RunAsync("devices", "list", "--site", "site-a", "--json");

        // Assert
        Assert.Equal(0, table.Exit);
        Assert.StartsWith("SITE", table.OutLines[0], StringComparison.Ordinal);
        Assert.Contains(table.OutLines, l => l.Contains("dev-2", StringComparison.Ordinal) && l.Contains("non-compliant (2)", StringComparison.Ordinal));
        Assert.Equal("3 devices, 1 compliant, 1 non-compliant, 1 stale", table.OutLines[^1]);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
        Assert.Equal(["dev-1", "dev-2"], document.RootElement.EnumerateArray().Select(d => d.GetProperty("deviceId").GetString()));
        Assert.Contains("GET /api/v1/devices?site=site-a", Hub.Requests);
    }

    [Fact]
    public async Task Commands_send_prints_the_id_alone_and_sends_parameters_and_expiry()
    {
        // Act
        var result = await Cli.RunAsync("commands", "send", "--site", "site-a", "--device", "dev-1", "lock", "--param", "message=call IT", "--param", "pin=1234", "--expires", "2h", "--reason", "lost");

        // Assert
        Assert.Equal(0, result.Exit);
        var id = Assert.Single(result.OutLines);
        Assert.True(Hub.Commands.ContainsKey(id));
        var body = Hub.Bodies["/api/v1/commands"]!;
        Assert.Equal("site-a", body["siteId"]!.GetValue<string>());
        Assert.Equal("dev-1", body["deviceId"]!.GetValue<string>());
        Assert.Equal("lock", body["type"]!.GetValue<string>());
        Assert.Equal("call IT", body["parameters"]!["message"]!.GetValue<string>());
        Assert.Equal("1234", body["parameters"]!["pin"]!.GetValue<string>());
        Assert.Equal(7200, body["expiresInSeconds"]!.GetValue<long>());
        Assert.Equal("lost", body["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Commands_show_gives_the_status()
    {
        // Arrange
        var id = (await Cli.RunAsync("commands", "send", "--site", "site-a", "--device", "dev-1", "ring")).Out.Trim();

        // Act
        var table = await Cli.RunAsync("commands", "show", id);
        var json = await Cli.RunAsync("commands", "show", id, "--json");

        // Assert
        Assert.Equal(0, table.Exit);
        Assert.Contains(table.OutLines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("queued", StringComparison.Ordinal));
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal("queued", document.RootElement.GetProperty("status").GetString());
        Assert.Null(Hub.Bodies["/api/v1/commands"]!["expiresInSeconds"]);
    }

    [Fact]
    public async Task Commands_send_to_a_group_prints_one_id_per_device_and_show_lists_each_devices_status()
    {
        // Arrange: a retired picker gets nothing
        Hub.Devices.Add(Device("site-b", "dev-4", "SER004", compliant: true, findings: 0, scanner: 120));
        Hub.Devices[^1]["state"] = "Retired";

        // Act
        var sent = await Cli.RunAsync("commands", "send", "--group", "pickers", "lock", "--reason", "stock take");
        var ids = sent.OutLines;
        Hub.Commands[ids[1]]["status"] = "succeeded";
        Hub.Commands[ids[2]]["status"] = "expired";
        var table = await Cli.RunAsync(["commands", "show", .. ids]);
        var json = await Cli.RunAsync(["commands", "show", .. ids, "--json"]);
        var sentJson = await Cli.RunAsync("commands", "send", "--group", "pickers", "--site", "site-a", "ring", "--json");

        // Assert
        Assert.Equal(0, sent.Exit);
        Assert.Equal(3, ids.Count);
        var body = Hub.Bodies["/api/v1/commands"]!;
        Assert.Equal(["dev-1", "dev-2", "dev-3"], ids.Select(id => Hub.Commands[id]["deviceId"]!.GetValue<string>()));
        Assert.Matches(@"^COMMAND\s+SITE\s+DEVICE\s+TYPE\s+STATUS", table.OutLines[0]);
        Assert.Contains(table.OutLines, l => l.StartsWith(ids[0], StringComparison.Ordinal) && l.Contains("dev-1", StringComparison.Ordinal) && l.Contains("queued", StringComparison.Ordinal));
        Assert.Contains(table.OutLines, l => l.StartsWith(ids[2], StringComparison.Ordinal) && l.Contains("dev-3", StringComparison.Ordinal) && l.Contains("expired", StringComparison.Ordinal));
        Assert.Contains("3 devices: 1 expired, 1 queued, 1 succeeded", table.OutLines);
        Assert.Contains("reason: stock take", table.OutLines);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(["queued", "succeeded", "expired"], document.RootElement.EnumerateArray().Select(c => c.GetProperty("status").GetString()));
        Assert.Equal("stock take", document.RootElement[0].GetProperty("reason").GetString());
        using var sentDocument = JsonDocument.Parse(sentJson.Out);
        Assert.Equal(2, sentDocument.RootElement.GetProperty("commandIds").GetArrayLength());
        Assert.Equal("pickers", sentDocument.RootElement.GetProperty("group").GetString());
        Assert.Equal("site-a", Hub.Bodies["/api/v1/commands"]!["siteId"]!.GetValue<string>());
        Assert.Null(body["deviceId"]);
    }

    [Fact]
    public async Task Commands_send_to_a_device_needs_no_site_when_the_hub_knows_the_device()
    {
        // Arrange: dev-1 is also at site-b, dev-3 only at site-b
        Hub.Devices.Add(Device("site-b", "dev-1", "SER101", compliant: true, findings: 0, scanner: 120));

        // Act
        var found = await Cli.RunAsync("commands", "send", "--device", "dev-3", "ring");
        var foundBody = Hub.Bodies["/api/v1/commands"]!.DeepClone();
        var ambiguous = await Cli.RunAsync("commands", "send", "--device", "dev-1", "ring");
        var unknown = await Cli.RunAsync("commands", "send", "--device", "dev-9", "ring");
        var named = await Cli.RunAsync("commands", "send", "--device", "dev-1", "--site", "site-b", "ring");

        // Assert
        Assert.Equal(0, found.Exit);
        Assert.Equal("site-b", Hub.Commands[found.Out.Trim()]["siteId"]!.GetValue<string>());
        Assert.Null(foundBody["siteId"]);
        Assert.Equal((1, "edgemdm: Conflict: device 'dev-1' is known at several sites"), (ambiguous.Exit, ambiguous.ErrLines.Single()));
        Assert.Equal((1, "edgemdm: Not found: the hub knows no device 'dev-9'"), (unknown.Exit, unknown.ErrLines.Single()));
        Assert.Equal(0, named.Exit);
    }

    [Theory]
    [InlineData("--device", "dev-1", "--group", "pickers")]
    [InlineData("--site", "site-a", "--reason", "x")]
    public async Task Commands_send_needs_exactly_one_of_device_and_group(params string[] options)
    {
        // Act
        var result = await Cli.RunAsync(["commands", "send", "lock", .. options]);

        // Assert
        Assert.Equal(2, result.Exit);
        Assert.Equal(["edgemdm: give exactly one of --device ID and --group G"], result.ErrLines);
        Assert.Empty(Hub.Writes);
    }

    [Fact]
    public async Task Commands_show_of_an_unknown_id_is_one_line()
    {
        // Act
        var result = await Cli.RunAsync("commands", "show", "cmd-404");

        // Assert
        Assert.Equal(1, result.Exit);
        Assert.Equal(["edgemdm: Not found: no command cmd-404"], result.ErrLines);
    }

    [Theory]
    [InlineData("--param", "novalue", "--param 'novalue' must be key=value")]
    [InlineData("--expires", "20", "--expires '20' is not a duration")]
    public async Task Commands_send_with_bad_options_is_a_usage_error_and_sends_nothing(string option, string value, string expected)
    {
        // Act
        var result = await Cli.RunAsync("commands", "send", "--site", "site-a", "--device", "dev-1", "lock", option, value);

        // Assert
        Assert.Equal(2, result.Exit);
        var line = Assert.Single(result.ErrLines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Empty(Hub.Writes);
    }

    [Fact]
    public async Task Tokens_create_prints_the_token_alone()
    {
        // Act
        var result = await Cli.RunAsync("tokens", "create", "--site", "site-a", "--group", "pickers", "--uses", "50", "--expires", "8h");

        // Assert
        Assert.Equal(0, result.Exit);
        var token = Assert.Single(result.OutLines);
        Assert.StartsWith("tok-", token, StringComparison.Ordinal);
        var body = Hub.Bodies["/api/v1/sites/site-a/tokens"]!;
        Assert.Equal("pickers", body["group"]!.GetValue<string>());
        Assert.Equal(50, body["uses"]!.GetValue<int>());
        Assert.Equal(8 * 3600, body["expiresInSeconds"]!.GetValue<long>());
    }

    [Fact]
    public async Task Tokens_create_with_zero_uses_is_a_usage_error()
    {
        // Act
        var result = await Cli.RunAsync("tokens", "create", "--site", "site-a", "--group", "pickers", "--uses", "0");

        // Assert
        Assert.Equal(2, result.Exit);
        Assert.Equal(["edgemdm: --uses must be at least 1"], result.ErrLines);
    }

    [Fact]
    public async Task Report_drift_shows_compliance_per_site_app_versions_and_the_devices_to_look_at()
    {
        // Act
        var result = await Cli.RunAsync("report", "drift");

        // Assert
        Assert.Equal(0, result.Exit);
        var lines = result.OutLines;
        Assert.Matches(@"^SITE\s+DEVICES\s+COMPLIANT\s+NON-COMPLIANT\s+UNKNOWN\s+STALE$", lines[0]);
        Assert.Matches(@"^site-a\s+2\s+1\s+1\s+0\s+0$", lines[1]);
        Assert.Matches(@"^site-b\s+1\s+0\s+0\s+0\s+1$", lines[2]);
        var words = lines.Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Contains("com.acme.scan 1.2 (120) 2 site-a 1, site-b 1", words);
        Assert.Contains("com.acme.scan 1.0 (100) 1 site-a 1", words);
        var notCompliant = lines.ToList().IndexOf("non-compliant:");
        Assert.True(notCompliant > 0, result.Out);
        Assert.Contains("SER002", lines[notCompliant + 2], StringComparison.Ordinal);
        Assert.Contains("app:com.acme.scan: 1.0 (100), want 1.2 (120) (Major)", lines[notCompliant + 2], StringComparison.Ordinal);
        var stale = lines.ToList().IndexOf("stale (silent for more than 24h):");
        Assert.True(stale > notCompliant, result.Out);
        Assert.Contains("SER003", lines[stale + 2], StringComparison.Ordinal);
        Assert.Contains("4d ago", lines[stale + 2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_drift_json_has_sites_and_device_lists_as_arrays()
    {
        // Act
        var result = await Cli.RunAsync("report", "drift", "--site", "site-a", "--json", "--stale", "3h");

        // Assert
        Assert.Equal(0, result.Exit);
        using var document = JsonDocument.Parse(result.Out);
        var root = document.RootElement;
        Assert.Equal("site-a", Assert.Single(root.GetProperty("sites").EnumerateArray()).GetProperty("siteId").GetString());
        var nonCompliant = Assert.Single(root.GetProperty("nonCompliant").EnumerateArray());
        Assert.Equal("dev-2", nonCompliant.GetProperty("deviceId").GetString());
        Assert.Equal("app:com.acme.scan", nonCompliant.GetProperty("driftFindings")[0].GetProperty("item").GetString());
        Assert.Equal((0, 0), (root.GetProperty("stale").GetArrayLength(), root.GetProperty("unknown").GetArrayLength()));
        Assert.Equal("3h", root.GetProperty("staleAfter").GetString());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("appVersions").ValueKind);
    }

    [Fact]
    public async Task Report_drift_without_devices_says_so()
    {
        // Arrange
        Hub.Devices.Clear();

        // Act
        var result = await Cli.RunAsync("report", "drift");

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Equal(["no devices reported yet"], result.OutLines);
    }
}
