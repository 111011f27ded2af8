using System.Text.Json;
using EdgeMdm.Domain.Lifecycle;
using SQLite;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// <c>edgemdm-edge custody ...</c> run as the operator runs it (the program's own entry, in this process) against the
/// data directory a running appliance serves. The console is the process's: this collection runs alone.
/// </summary>
[Collection(Name)]
public sealed class CustodyCliTests : IAsyncLifetime
{
    public const string Name = "custody CLI (console)";

    private EdgeServer _server = null!;

    public async Task InitializeAsync() => _server = await EdgeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<(int Exit, string Out, string Err)> EdgeAsync(params string[] args) => OperatorCli.RunAsync(_server, args);

    private async Task<string> ActiveDeviceAsync(string serial)
    {
        var device = await _server.EnrollAsync(serial);
        var admin = _server.Get<IDeviceAdmin>();
        if (_server.Get<IDeviceQueries>().Find(device.DeviceId)!.State == DeviceState.Enrolling)
            await admin.TransitionAsync(device.DeviceId, DeviceState.Staging, "test", "staged", _server.Clock.GetUtcNow());
        await admin.TransitionAsync(device.DeviceId, DeviceState.Active, "test", "on the floor", _server.Clock.GetUtcNow());
        return device.DeviceId;
    }

    [Fact]
    public async Task Record_show_and_verify_a_devices_chain()
    {
        var deviceId = await ActiveDeviceAsync("SN-CLI-1");

        var handed = await EdgeAsync("custody", "record", "SN-CLI-1", "--from", "site", "--to", "courier", "--note", "RMA 7, \"urgent\"", "--place", "dock 2");
        var back = await EdgeAsync("custody", "record", "SN-CLI-1", "--from", "courier", "--to", "site");
        var shown = await EdgeAsync("custody", "show", "SN-CLI-1", "--json");
        var verified = await EdgeAsync("custody", "verify");

        Assert.True(handed.Exit == 0, handed.Err);
        Assert.Contains($"{deviceId} (serial SN-CLI-1): event 0 site → courier", handed.Out, StringComparison.Ordinal);
        Assert.Contains("Active → Quarantined", handed.Out, StringComparison.Ordinal);
        Assert.Contains("state is left as it is", back.Out, StringComparison.Ordinal);
        using var chain = JsonDocument.Parse(shown.Out);
        Assert.Equal(["courier", "site"], chain.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("to").GetString()));
        Assert.Equal("Quarantined", chain.RootElement.GetProperty("state").GetString());
        Assert.Equal((0, "1 chains, 2 events, all verify\n"), (verified.Exit, verified.Out));
    }

    [Fact]
    public async Task Unknown_device_is_refused_in_one_line_and_nothing_is_written()
    {
        var refused = await EdgeAsync("custody", "record", "SN-NOBODY", "--from", "site", "--to", "courier");

        Assert.Equal(1, refused.Exit);
        Assert.Equal("edgemdm-edge: no device SN-NOBODY at this site; a battery pack is recorded with --battery\n", refused.Err);
        Assert.Equal(0, _server.Get<EdgeStorage>().Read(db => db.ExecuteScalar<long>("SELECT count(*) FROM custody_events")));
    }

    [Fact]
    public async Task Export_writes_rfc4180_csv_per_device_and_per_period()
    {
        var deviceId = await ActiveDeviceAsync("SN-CLI-CSV");
        await EdgeAsync("custody", "record", "SN-CLI-CSV", "--from", "site", "--to", "courier", "--note", "line one\nline \"two\", end");
        await EdgeAsync("custody", "record", "BAT-1", "--battery", "--from", "site", "--to", "recycler");
        var file = Path.Combine(_server.DataDir, "custody.csv");

        var all = await EdgeAsync("custody", "export", "--out", file);
        var one = await EdgeAsync("custody", "export", "--device", "SN-CLI-CSV");
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var period = await EdgeAsync("custody", "export", "--from", today, "--to", today);
        var before = await EdgeAsync("custody", "export", "--to", "2000-01-01");
        var badDate = await EdgeAsync("custody", "export", "--from", "yesterday");

        Assert.True(all.Exit == 0, all.Err);
        var csv = await File.ReadAllTextAsync(file);
        var lines = csv.Split("\r\n");
        Assert.Equal("subject,subject_kind,index,at,from,to,actor,place,note,erasure_method,erasure_certificate,previous_hash,hash", lines[0]);
        Assert.Contains($"{deviceId},device,0,", csv, StringComparison.Ordinal);
        Assert.Contains(",\"line one\nline \"\"two\"\", end\",", csv, StringComparison.Ordinal);
        Assert.Contains("BAT-1,battery,0,", csv, StringComparison.Ordinal);
        Assert.EndsWith("\r\n", csv, StringComparison.Ordinal);
        var hash = _server.Get<Custody.ICustodyDesk>().Show(deviceId)!.Events[0].Hash;
        Assert.Contains("," + hash + "\r\n", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("BAT-1", one.Out, StringComparison.Ordinal);
        Assert.Contains(deviceId, one.Out, StringComparison.Ordinal);
        Assert.Equal(3, period.Out.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Single(before.Out.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, badDate.Exit);
    }

    [Fact]
    public async Task Verify_exits_non_zero_naming_each_bad_event()
    {
        var deviceId = await ActiveDeviceAsync("SN-CLI-BAD");
        foreach (var (from, to) in new[] { ("site", "courier"), ("courier", "depot"), ("depot", "courier") })
            Assert.Equal(0, (await EdgeAsync("custody", "record", deviceId, "--from", from, "--to", to)).Exit);
        using (var db = new SQLiteConnection(EdgeDatabase.PathIn(_server.DataDir)))
            db.Execute("UPDATE custody_events SET note = 'nothing happened' WHERE subject = ? AND idx = 1", deviceId);

        var verified = await EdgeAsync("custody", "verify", "SN-CLI-BAD");

        Assert.Equal(1, verified.Exit);
        Assert.Equal($"{deviceId} event 1: edited (its hash does not match its content)\n", verified.Out);
        Assert.Equal("edgemdm-edge: 1 problems in 1 of 1 chains\n", verified.Err);
    }
}

[CollectionDefinition(CustodyCliTests.Name, DisableParallelization = true)]
public sealed class CustodyCliTestsRunAlone;
