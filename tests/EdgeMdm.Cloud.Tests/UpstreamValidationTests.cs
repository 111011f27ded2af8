using EdgeMdm.Cloud.Sync;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// Every field of a pushed change is checked at the sync boundary (<see cref="UpstreamRules"/>): a batch with one bad
/// field is refused whole with INVALID_ARGUMENT naming the change and the field, and what is already stored reads back
/// whatever it holds.
/// </summary>
public sealed class UpstreamValidationTests
{
    private const long Far = long.MaxValue;

    public static TheoryData<string, SiteChange> BadChanges => new()
    {
        { "at_unix_ms -1 is not a time", new SiteChange { AtUnixMs = -1, DeviceId = "d", Enrolled = new() } },
        { "device_id is required", new SiteChange { Enrolled = new() { Serial = "SN" } } },
        { "enrolled.serial may be at most 1024 characters", new SiteChange { DeviceId = "d", Enrolled = new() { Serial = new string('s', 1025) } } },
        { "status.last_checkin_unix_ms 9223372036854775807 is not a time", new SiteChange { DeviceId = "d", Status = new() { LastCheckinUnixMs = Far } } },
        { "status.status_json is not JSON", new SiteChange { DeviceId = "d", Status = new() { StatusJson = "{\"battery\":" } } },
        { "status.status_json is JSON but not an object", new SiteChange { DeviceId = "d", Status = new() { StatusJson = "[1]" } } },
        { "status.findings[1].severity 'Huge' is not one of Critical, Major, Minor", new SiteChange
            { DeviceId = "d", Status = new() { Findings = { new DriftFinding { Severity = "Minor" }, new DriftFinding { Severity = "Huge" } } } } },
        { "command_result.status 'done' is not one of delivered, expired, failed, succeeded", new SiteChange
            { DeviceId = "d", CommandResult = new() { CommandId = "c", Status = "done" } } },
        { "command_result.finished_unix_ms -5 is not a time", new SiteChange
            { DeviceId = "d", CommandResult = new() { CommandId = "c", Status = "failed", FinishedUnixMs = -5 } } },
        { "command_result.command_id is required", new SiteChange { DeviceId = "d", CommandResult = new() { Status = "failed" } } },
        { "transitioned.to_state 'Flying' is not one of", new SiteChange { DeviceId = "d", Transitioned = new() { ToState = "Flying" } } },
        { "transitioned.from_state 'active' is not one of", new SiteChange { DeviceId = "d", Transitioned = new() { FromState = "active", ToState = "Retired" } } },
        { "command_queued.expires_unix_ms 9223372036854775807 is not a time", new SiteChange
            { DeviceId = "d", CommandQueued = new() { CommandId = "c", Type = "ring", ExpiresUnixMs = Far } } },
        { "command_queued.type is required", new SiteChange { DeviceId = "d", CommandQueued = new() { CommandId = "c" } } },
        { "staging_batch_created.batch_id is required", new SiteChange { StagingBatchCreated = new() { Group = "pickers", Count = 5 } } },
        { "staging_batch_created.expires_unix_ms -1 is not a time", new SiteChange
            { StagingBatchCreated = new() { BatchId = "b-1", Group = "pickers", Count = 5, ExpiresUnixMs = -1 } } },
        { "device_id is required", new SiteChange { Enrolled = new() { Serial = "SN", BatchId = "b-1" } } },
        { "command_queued.parameters['note'] may be at most 16384 characters", new SiteChange
            { DeviceId = "d", CommandQueued = new() { CommandId = "c", Type = "ring", Parameters = { ["note"] = new string('n', 16385) } } } },
    };

    [Theory]
    [MemberData(nameof(BadChanges))]
    public void A_change_with_a_field_out_of_range_refuses_its_batch_naming_sequence_and_field(string expected, SiteChange bad)
    {
        // Arrange
        bad.Sequence = 8;
        var batch = new UpstreamBatch { Changes = { Good(7), bad } };

        // Act
        var problem = UpstreamRules.Problem(batch);

        // Assert
        Assert.StartsWith("change with sequence 8: " + expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void What_an_appliance_sends_passes()
    {
        // Arrange: every kind, at the limits an appliance can reach, and empty where an appliance leaves a field empty
        var text = new string('x', 256);
        var batch = new UpstreamBatch
        {
            Changes =
            {
                Good(1),
                new SiteChange { Sequence = 2, DeviceId = "d", Enrolled = new() { Serial = text, Model = text, Group = "pickers" } },
                new SiteChange { Sequence = 3, DeviceId = "d", Transitioned = new() { ToState = "Enrolling", Actor = "device" } },
                new SiteChange { Sequence = 4, DeviceId = "d", Status = new() }, // a device the site no longer has: an empty status
                new SiteChange { Sequence = 5, DeviceId = "d", CommandQueued = new() { CommandId = "c", Type = "ring", Parameters = { ["a"] = text } } },
                new SiteChange { Sequence = 6, DeviceId = "d", CommandResult = new() { CommandId = "c", Status = "succeeded", Message = new string('m', 4096) } },
                new SiteChange { Sequence = 7, AtUnixMs = UpstreamRules.MaxUnixMs, DeviceId = "d", Transitioned = new() { FromState = "Active", ToState = "Retired" } },
                // A staging batch is the site's: no device id.
                new SiteChange { Sequence = 8, StagingBatchCreated = new() { BatchId = "b-0123456789", Group = "pickers", Count = 50, ExpiresUnixMs = 1_800_000_000_000 } },
                new SiteChange { Sequence = 9, DeviceId = "d", Enrolled = new() { Serial = "SN", Group = "pickers", BatchId = "b-0123456789" } },
            },
        };

        // Act / Assert
        Assert.Null(UpstreamRules.Problem(batch));
    }

    [Fact]
    public async Task A_refused_batch_applies_nothing_and_the_tenants_reads_keep_answering()
    {
        // Arrange
        await using var hub = await RunningHub.StartAsync();
        var (site, sync) = await hub.AddSiteAsync("DC Leipzig");
        await sync.PushAsync([[Good(1), Good(2)]]);
        var far = new SiteChange { Sequence = 4, AtUnixMs = 1_000, DeviceId = "dev-4", Status = new() { StatusJson = "{}", LastCheckinUnixMs = Far } };
        var farCommand = new SiteChange { Sequence = 3, AtUnixMs = 1_000, DeviceId = "dev-3", CommandQueued = new() { CommandId = "cmd-far", Type = "ring", ExpiresUnixMs = Far } };

        // Act
        var status = await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([[Good(3), far]]));
        var command = await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([[farCommand]]));
        var devices = await hub.Rest.GetAsync(new Uri("/api/v1/devices", UriKind.Relative));

        // Assert
        Assert.Equal((StatusCode.InvalidArgument, StatusCode.InvalidArgument), (status.StatusCode, command.StatusCode));
        Assert.StartsWith("change with sequence 4: status.last_checkin_unix_ms 9223372036854775807 is not a time", status.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("change with sequence 3: command_queued.expires_unix_ms", command.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(2UL, await hub.Store.Upstream.AppliedThroughAsync(site.SiteId));
        Assert.Equal(HttpStatusCode.OK, devices.StatusCode);
        Assert.Equal(["dev-1", "dev-2"], JsonNode.Parse(await devices.Content.ReadAsStringAsync())!.AsArray().Select(d => d!["deviceId"]!.GetValue<string>()));
        Assert.Equal(2, hub.Logs.Entries.Count(e => e is { EventId.Id: 2013, Level: LogLevel.Warning }));
    }

    [Fact]
    public async Task Rows_stored_before_the_check_are_served_with_unknown_times()
    {
        // Arrange: what an older hub stored from such pushes
        await using var hub = await RunningHub.StartAsync();
        var site = await hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig");
        await using (var s = await hub.Store.Database.BeginAsync(write: true, default))
        {
            await s.ExecuteAsync("INSERT INTO devices (site_id, device_id, state, last_checkin) VALUES (?, 'dev-far', 'Active', ?)", site.SiteId, Far);
            await s.ExecuteAsync(
                "INSERT INTO commands (command_id, site_id, device_id, type, parameters_json, status, created_by, created_at, expires_at) VALUES ('cmd-far', ?, 'dev-far', 'ring', '{}', 'queued', 'op', 1, ?)",
                site.SiteId, Far);
            await s.CommitAsync();
        }

        // Act
        var devices = await hub.Rest.GetAsync(new Uri("/api/v1/devices", UriKind.Relative));
        var command = await hub.Rest.GetAsync(new Uri("/api/v1/commands/cmd-far", UriKind.Relative));

        // Assert
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (devices.StatusCode, command.StatusCode));
        Assert.Null(JsonNode.Parse(await devices.Content.ReadAsStringAsync())![0]!["lastCheckin"]);
        Assert.Null(JsonNode.Parse(await command.Content.ReadAsStringAsync())!["expiresAt"]);
    }

    private static SiteChange Good(int sequence) => new()
    {
        Sequence = (ulong)sequence, AtUnixMs = 1_000 + sequence, DeviceId = $"dev-{sequence}",
        Enrolled = new() { Serial = $"SN-{sequence}", Model = "TC52", Group = "pickers" },
    };
}
