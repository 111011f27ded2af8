using System.Net;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Alerts;
using EdgeMdm.Edge.Commands;
using EdgeMdm.Edge.Cradles;
using static EdgeMdm.Edge.Tests.SpareTestFloor;

using EdgeMdm.Testing;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The supervisor page's screens and actions over real https, signed in as each role: who may act is the server's
/// decision (a form posted by hand is refused as the page's would be), actions need a reason and land in the stores.
/// </summary>
public sealed class SupervisorPagesTests
{
    private const string Password = "a floor password";
    private static readonly string Hashed = PasswordHash.Create(Password, 1_000);

    internal static async Task<FormBrowser> SignedInAsync(EdgeServer server, string name, string role)
    {
        await HubCatalog.ApplyAsync(server, new HubChange
        {
            Position = 1_000_000 + (ulong)server.Get<ISiteUserDirectory>().ListSiteUsers().Count,
            SiteUserUpserted = new SiteUserUpserted { UserName = name, Role = role, PasswordHash = Hashed },
        });
        var browser = new FormBrowser(server.CreateClient);
        using var signedIn = await browser.SignInAsync(name, Password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return browser;
    }

    private static Task<HttpResponseMessage> ActAsync(FormBrowser browser, string deviceId, string action, string reason) =>
        browser.PostFormAsync($"/devices/{deviceId}", $"/devices/{deviceId}/actions", [new("action", action), new("reason", reason)]);

    /// <summary>How long the overview may be reused for every open page: a test that just wrote moves the clock past it.</summary>
    private static readonly TimeSpan OverviewFreshness = Supervisor.OverviewReader.Freshness;

    private static IReadOnlyList<CommandSummary> Commands(EdgeServer server, string deviceId) => server.Get<ICommandStore>().ListCommands(deviceId);

    [Fact]
    public async Task A_viewer_sees_no_actions_and_is_refused_one_posted_by_hand()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        var device = await ActiveAsync(server, "SN-1");
        using var viewer = await SignedInAsync(server, "vic", SiteUserRoles.Viewer);

        // Act
        using var page = await viewer.GetAsync($"/devices/{device.DeviceId}");
        var html = await page.Content.ReadAsStringAsync();
        using var byHand = await ActAsync(viewer, device.DeviceId, "lock", "just looking");

        // Assert
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain("/actions\"", html, StringComparison.Ordinal);
        Assert.Contains("Your role looks only", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, byHand.StatusCode);
        Assert.Empty(Commands(server, device.DeviceId));
    }

    [Fact]
    public async Task A_technician_locks_with_a_reason_but_may_not_wipe_and_a_supervisor_may()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        var device = await ActiveAsync(server, "SN-1");
        using var technician = await SignedInAsync(server, "tom", SiteUserRoles.Technician);
        using var supervisor = await SignedInAsync(server, "sue", SiteUserRoles.Supervisor);

        // Act
        using var noReason = await ActAsync(technician, device.DeviceId, "lock", " ");
        using var locked = await ActAsync(technician, device.DeviceId, "lock", "left on the dock");
        using var technicianWipe = await ActAsync(technician, device.DeviceId, "wipe", "sold");
        var technicianPage = await (await technician.GetAsync($"/devices/{device.DeviceId}")).Content.ReadAsStringAsync();
        using var supervisorWipe = await ActAsync(supervisor, device.DeviceId, "wipe", "leaving the fleet");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, locked.StatusCode);
        Assert.Contains("lock%20queued", locked.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, technicianWipe.StatusCode);
        Assert.DoesNotContain("value=\"wipe\"", technicianPage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, supervisorWipe.StatusCode);
        Assert.Equal(["lock", "wipe"], Commands(server, device.DeviceId).Select(c => c.Type).Order(StringComparer.Ordinal));
        var history = await (await supervisor.GetAsync($"/devices/{device.DeviceId}")).Content.ReadAsStringAsync();
        Assert.Contains("data-command=\"wipe\"", history, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_swap_from_the_device_page_lights_the_slot_of_the_spare_to_take()
    {
        // Arrange: a broken device and two spares in bay-1 (a networked cradle, with lights), slots 2 and 3
        await using var server = await EdgeServer.StartAsync("--Edge:Cradles:Networked:0:Id", "bay-1", "--Edge:Cradles:Networked:0:Slots", "4");
        var broken = await ActiveAsync(server, "SN-BROKEN", 40);
        var low = await ActiveAsync(server, "SN-SPARE-90", 90);
        var high = await ActiveAsync(server, "SN-SPARE-99", 99);
        await PoolAsync(server, 1, low.DeviceId, high.DeviceId);
        await DockAsync(server, low.DeviceSecret, 2, 90);
        await DockAsync(server, high.DeviceSecret, 3, 99);
        using var technician = await SignedInAsync(server, "tom", SiteUserRoles.Technician);

        // Act
        using var swapped = await ActAsync(technician, broken.DeviceId, "swap", "cracked screen");
        var floor = await (await technician.GetAsync("/floor")).Content.ReadAsStringAsync();

        // Assert
        Assert.True(swapped.StatusCode == HttpStatusCode.Redirect, await swapped.Content.ReadAsStringAsync());
        var proposed = server.Get<Spares.ISwaps>().List().Single().ProposedSerial;
        var slot = server.Get<ICradleFloor>().SlotOf(proposed)!;
        var told = Uri.UnescapeDataString(swapped.Headers.Location!.OriginalString);
        Assert.True(told.EndsWith($": take spare {proposed} from bay-1 slot {slot.Slot} (its light is on)", StringComparison.Ordinal), told);
        Assert.True(slot.LedOn);
        Assert.False(server.Get<ICradleFloor>().SlotOf(string.Equals(proposed, "SN-SPARE-99", StringComparison.Ordinal) ? "SN-SPARE-90" : "SN-SPARE-99")!.LedOn);
        Assert.Contains($"data-slot=\"{slot.Slot}\" data-charge=\"{slot.ChargePercent}\" data-lit=\"on\"", floor, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_alert_is_acknowledged_with_a_note_and_stays_open()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        await server.Get<Storage.EdgeStorage>().WriteAsync(unit =>
        {
            server.Get<IAlerts>().Raise(unit, "spares.below_minimum", "TC52", "TC52 spares: 0 ready of minimum 2", Now(server));
            return 0;
        });
        using var supervisor = await SignedInAsync(server, "sue", SiteUserRoles.Supervisor);
        var id = server.Get<IAlerts>().Open().Single().Id;

        // Act
        using var noNote = await supervisor.PostFormAsync("/alerts", "/alerts/ack", [new("id", id.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("note", "")]);
        using var acknowledged = await supervisor.PostFormAsync("/alerts", "/alerts/ack", [new("id", id.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("note", "two on order")]);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, noNote.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, acknowledged.StatusCode);
        var alert = server.Get<IAlerts>().Open().Single();
        Assert.Equal(("site-user:sue", "two on order"), (alert.AcknowledgedBy, alert.Note));
    }

    [Fact]
    public async Task Staging_lists_the_batches_and_serves_each_ones_printable_sheet_with_its_own_policy()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        var made = await server.Get<Staging.Batches.BatchMaker>().MakeAsync(
            server.DataDir, "pickers", plan: null, 2, server.Clock.GetUtcNow().AddHours(8), [server.BaseAddress], "operator:test", server.Clock.GetUtcNow());
        using var viewer = await SignedInAsync(server, "vic", SiteUserRoles.Viewer);

        // Act
        var list = await (await viewer.GetAsync("/staging")).Content.ReadAsStringAsync();
        using var batch = await viewer.GetAsync($"/staging/batches/{made.Batch.Id}");
        using var sheet = await viewer.GetAsync($"/staging/batches/{made.Batch.Id}/sheet");
        using var unknown = await viewer.GetAsync("/staging/batches/..%2F..%2Fedge.db/sheet");

        // Assert
        Assert.Contains($"data-batch=\"{made.Batch.Id}\"", list, StringComparison.Ordinal);
        Assert.Contains("0 of 2", list, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        Assert.Equal(HttpStatusCode.OK, sheet.StatusCode);
        Assert.Equal(await File.ReadAllTextAsync(made.SheetPath), await sheet.Content.ReadAsStringAsync());
        Assert.StartsWith("default-src 'none'", sheet.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Compliance_is_sampled_every_quarter_hour_and_the_overview_draws_the_last_day()
    {
        // Arrange: one compliant device, one that has not reported yet (the start's own sample saw neither)
        await using var server = await EdgeServer.StartAsync();
        await ActiveAsync(server, "SN-1");
        await server.EnrollAsync("SN-2");
        var history = server.Get<Supervisor.ComplianceHistory>();
        using var viewer = await SignedInAsync(server, "vic", SiteUserRoles.Viewer);

        // Act: a quarter of an hour later the sampler takes its next sample by itself
        var taken = history.Since(DateTimeOffset.MinValue).Count;
        server.Clock.Advance(TimeSpan.FromMinutes(15));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (history.Since(DateTimeOffset.MinValue).Count == taken && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        var overview = await (await viewer.GetAsync("/")).Content.ReadAsStringAsync();

        // Assert
        var last = history.Since(DateTimeOffset.MinValue)[^1];
        Assert.Equal((2, 1, 0, 1, 100), (last.Devices, last.Compliant, last.NonCompliant, last.Unknown, last.CompliantPercent));
        Assert.Equal(server.Clock.GetUtcNow(), last.At);
        Assert.Contains("data-chart=\"compliance-24h\"", overview, StringComparison.Ordinal);
        Assert.Contains("data-value=\"100\"", overview[overview.IndexOf("compliance-24h", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_overview_draws_the_readiness_recorded_before_each_shift()
    {
        // Arrange: readiness recorded before two shifts (the shift worker's record)
        await using var server = await EdgeServer.StartAsync();
        var now = Now(server);
        foreach (var (name, ready, percent) in new[] { ("early", 9, 90.0), ("late", 6, 60.0) })
        {
            var start = string.Equals(name, "early", StringComparison.Ordinal) ? now.AddHours(-20) : now.AddHours(-8);
            var shift = new EdgeMdm.Domain.Floor.ShiftOccurrence(name, DateOnly.FromDateTime(start.UtcDateTime), start, start.AddHours(8));
            var figure = new EdgeMdm.Domain.Floor.ReadinessFigure(shift, start.AddMinutes(-30), 80, 10, ready, percent, [], []);
            await server.Get<Storage.EdgeStorage>().WriteAsync(unit => Batteries.ShiftReportStore.Record(
                unit, Batteries.ShiftReportStore.ReadinessKind, shift, start.AddMinutes(-30),
                System.Text.Json.JsonSerializer.Serialize(figure, Batteries.FloorJson.Default.ReadinessFigure)));
        }

        using var viewer = await SignedInAsync(server, "vic", SiteUserRoles.Viewer);
        server.Clock.Advance(OverviewFreshness);

        // Act
        var overview = await (await viewer.GetAsync("/")).Content.ReadAsStringAsync();

        // Assert: oldest first, each bar with its share
        var chart = overview[overview.IndexOf("data-chart=\"readiness\"", StringComparison.Ordinal)..];
        var early = chart.IndexOf("data-value=\"90\"", StringComparison.Ordinal);
        var late = chart.IndexOf("data-value=\"60\"", StringComparison.Ordinal);
        Assert.True(early > 0 && late > early, "the bars are not there, or not oldest first");
        Assert.Contains("class=\"bar tone-bad\" data-label=\"late ", chart, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_devices_list_finds_by_serial_group_and_state()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        await ActiveAsync(server, "SN-AAA-1");
        await ActiveAsync(server, "SN-BBB-2");
        await server.EnrollAsync("SN-AAA-3");
        using var viewer = await SignedInAsync(server, "vic", SiteUserRoles.Viewer);

        // Act
        var bySerial = await (await viewer.GetAsync("/devices?q=aaa")).Content.ReadAsStringAsync();
        var byState = await (await viewer.GetAsync("/devices?q=aaa&state=Active")).Content.ReadAsStringAsync();

        // Assert
        Assert.Contains("data-serial=\"SN-AAA-1\"", bySerial, StringComparison.Ordinal);
        Assert.Contains("data-serial=\"SN-AAA-3\"", bySerial, StringComparison.Ordinal);
        Assert.DoesNotContain("SN-BBB-2", bySerial, StringComparison.Ordinal);
        Assert.Contains("data-serial=\"SN-AAA-1\"", byState, StringComparison.Ordinal);
        Assert.DoesNotContain("SN-AAA-3", byState, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_event_stream_says_changed_after_the_appliance_commits_something()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var viewer = await SignedInAsync(server, "vic", SiteUserRoles.Viewer);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/events");
        using var response = await viewer.SendStreamingAsync(request);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Act
        var opened = await ReadEventAsync(reader, bound.Token);
        await server.EnrollAsync("SN-NEW");
        string changed;
        var reading = ReadEventAsync(reader, bound.Token);
        while (!reading.IsCompleted)
        {
            server.Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(reading, Task.Delay(50, bound.Token));
        }

        changed = await reading;

        // Assert
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("open", opened);
        Assert.Equal("changed", changed);
    }

    /// <summary>A compliant check-in from bay-1 slot <paramref name="slot"/> at <paramref name="level"/> %.</summary>
    private static async Task DockAsync(EdgeServer server, string secret, int slot, int level)
    {
        var declarations = await server.DeclarationsAsync(secret);
        var status = CheckinTests.CompliantStatus(declarations);
        status = status with { Battery = status.Battery! with { Level = level, Docked = true, DockedAt = new DockLocation { CradleId = "bay-1", Slot = slot } } };
        await server.CheckinOkAsync(secret, new CheckinRequest { DeclarationsToken = declarations.Token, Status = status });
    }

    /// <summary>The type of the next event on the stream (comments and pings skipped).</summary>
    private static async Task<string> ReadEventAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal) && !string.Equals(line, "event: ping", StringComparison.Ordinal))
                return line["event: ".Length..];
        }

        return "(end of stream)";
    }
}
