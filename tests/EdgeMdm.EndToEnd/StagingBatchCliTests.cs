namespace EdgeMdm.EndToEnd;

/// <summary><c>edgemdm-edge staging batch create|list|show</c>, run as processes against the directory a running appliance serves.</summary>
public sealed class StagingBatchCliTests
{
    private static Task<CommandResult> EdgeAsync(params string[] args) => Processes.RunAsync(Processes.EdgeDll, args, TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Batch_create_prints_the_sheet_path_and_list_and_show_report_it()
    {
        // Arrange
        using var data = new TempDirectory();
        await using var appliance = await ApplianceProcess.StartAsync(data.Path);

        // Act
        var created = await EdgeAsync(
            "staging", "batch", "create", "--group", "pickers", "--count", "3", "--expires", "2h", "--url", "https://edge-01.local:8443", "--data-dir", data.Path);
        var sheet = created.Stdout.TrimEnd('\n');
        var batchId = Path.GetFileName(Path.GetDirectoryName(sheet))!;
        var list = await EdgeAsync("staging", "batch", "list", "--json", "--data-dir", data.Path);
        var show = await EdgeAsync("staging", "batch", "show", batchId, "--data-dir", data.Path);
        var showJson = await EdgeAsync("staging", "batch", "show", batchId, "--json", "--data-dir", data.Path);

        // Assert
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Equal(Path.Combine(data.Path, "staging", "batches", batchId, "sheet.html"), sheet);
        Assert.True(File.Exists(sheet));
        // The demo catalog has no agent package: the codes go without its download, and the operator is told how to add it.
        Assert.Contains("no com.edgemdm.agent package", created.Stderr, StringComparison.Ordinal);
        using var listed = JsonDocument.Parse(list.Stdout);
        var batch = Assert.Single(listed.RootElement.EnumerateArray());
        Assert.Equal((batchId, "pickers", 3, 0), (batch.GetProperty("id").GetString(), batch.GetProperty("group").GetString(), batch.GetProperty("count").GetInt32(), batch.GetProperty("enrolled").GetInt32()));
        Assert.Contains("enrolled 0 of 3", show.Stdout, StringComparison.Ordinal);
        using var shown = JsonDocument.Parse(showJson.Stdout);
        Assert.Equal(sheet, shown.RootElement.GetProperty("sheet").GetString());
        using var payload = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(sheet)!, "payload.json")));
        Assert.Equal(3, payload.RootElement.GetProperty("slots").GetArrayLength());
        Assert.Contains("https://edge-01.local:8443", payload.RootElement.GetProperty("slots")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_and_the_batch_of_a_device_it_enrolled_reach_the_hub_once()
    {
        // Arrange: a site that syncs with a hub, and its group from the hub's feed
        await using var hubWithSite = await HubWithSite.StartAsync("DC Staging");
        var (hub, siteId, credential, edgeDirectory) = hubWithSite;
        await hub.PutBlueprintAsync("pickers", 1);
        await using var appliance = await ApplianceProcess.StartAsync(edgeDirectory, hub: (hub.GrpcUrl, credential));
        await SyncLedger.WaitFeedAsync(edgeDirectory, SyncLedger.FirstFeedLimit);
        var created = await CreateWhenGroupArrivedAsync(edgeDirectory);
        var sheet = created.Stdout.TrimEnd('\n');
        var batchId = Path.GetFileName(Path.GetDirectoryName(sheet))!;
        using var payload = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(sheet)!, "payload.json")));
        var code = ProvisioningQr.Read(payload.RootElement.GetProperty("slots")[1].GetString()!);

        // Act: a device enrolls from slot 2's code; the site syncs
        using var device = appliance.CreateClient();
        var request = new EnrollRequest { EnrollmentToken = code.Token, Serial = "SN-STAGED-2", Model = "TC52", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1", Code = code.Proof() };
        using var enrolled = await device.PostAsJsonAsync("/api/v1/enroll", request, DeviceProtocolJson.Default.EnrollRequest);
        var deviceId = (await enrolled.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.EnrollResponse))!.DeviceId;
        await SyncLedger.WaitConvergedAsync(edgeDirectory, hub, siteId, TimeSpan.FromSeconds(60));

        // Assert
        Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        using var db = new SQLiteConnection(SyncLedger.HubDatabase(hubWithSite.HubDirectory));
        Assert.Equal(1L, db.ExecuteScalar<long>("SELECT count(*) FROM staging_batches WHERE site_id = ? AND batch_id = ? AND device_count = 3 AND group_name = 'pickers'", siteId, batchId));
        Assert.Equal(batchId, db.ExecuteScalar<string>("SELECT staging_batch_id FROM devices WHERE site_id = ? AND device_id = ?", siteId, deviceId));
    }

    /// <summary>Creates a batch of 3 for group pickers, once the group's blueprint has come down the feed.</summary>
    private static async Task<CommandResult> CreateWhenGroupArrivedAsync(string dataDirectory)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var created = await EdgeAsync("staging", "batch", "create", "--group", "pickers", "--count", "3", "--url", "https://edge-01.local:8443", "--data-dir", dataDirectory);
            if (created.ExitCode == 0)
                return created;
            Assert.True(DateTime.UtcNow < deadline, "batch create still refused: " + created.Stderr);
            await Task.Delay(250);
        }
    }

    [Theory]
    [InlineData(new[] { "--group", "pickers", "--count", "2", "--url", "http://edge-01.local:8080" }, 2, "--url must be an https URL")]
    [InlineData(new[] { "--group", "nobody", "--count", "2", "--url", "https://edge-01.local:8443" }, 1, "group 'nobody' has no blueprint at this site")]
    [InlineData(new[] { "--group", "pickers", "--count", "0", "--url", "https://edge-01.local:8443" }, 2, "--count must be between 1 and 1000")]
    public async Task Batch_create_refuses_bad_input_with_one_line_and_makes_nothing(string[] arguments, int exitCode, string message)
    {
        using var data = new TempDirectory();
        await using var appliance = await ApplianceProcess.StartAsync(data.Path);

        var created = await EdgeAsync(["staging", "batch", "create", .. arguments, "--data-dir", data.Path]);
        var list = await EdgeAsync("staging", "batch", "list", "--json", "--data-dir", data.Path);

        Assert.Equal(exitCode, created.ExitCode);
        Assert.StartsWith("edgemdm-edge: " + message, created.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Equal("[]", list.Stdout.Trim());
        Assert.False(Directory.Exists(Path.Combine(data.Path, "staging")));
    }
}
