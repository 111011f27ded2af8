using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Edge.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Re-enrolling a serial the site knows (defect 8, serial takeover): an enrollment token proves the caller may join
/// the site, not that it is the device, so an Active device also needs its current secret or an operator's
/// allowance, a Quarantined one the allowance, and a Retired one never comes back.
/// </summary>
public sealed class ReenrollmentTests
{
    private const string Takeover = "device SN-VICTIM is active; re-enrollment needs its current credential or an operator's allowance (edgemdm-edge devices allow-reenroll SN-VICTIM)";


    private static async Task<EnrollResponse> EnrollActiveAsync(EdgeServer server, string serial)
    {
        var device = await server.EnrollAsync(serial);
        var outcome = await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Active, "test", "staged by hand", server.Clock.GetUtcNow());
        Assert.NotNull(outcome.Value);
        return device;
    }

    private static async Task<string> OtherGroupTokenAsync(EdgeServer server)
    {
        var now = server.Clock.GetUtcNow();
        return (await server.Get<ITokenStore>().CreateTokenAsync("vehicle-mounts", 5, now.AddHours(8), "test", now)).Token;
    }

    private static Task<HttpResponseMessage> ReenrollAsync(EdgeServer server, string serial, string token, string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/enroll") { Content = JsonContent.Create(EdgeServer.Enrollment(serial, token), DeviceProtocolJson.Default.EnrollRequest) };
        if (bearer is not null)
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        return server.Http.SendAsync(request);
    }

    private static async Task<EnrollResponse> EnrolledAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.EnrollResponse))!;
        }
    }

    private static async Task<string> RefusedAsync(HttpResponseMessage response) =>
        (await EnrollmentTests.ProblemAsync(response, HttpStatusCode.Forbidden)).GetProperty("detail").GetString()!;

    private static Task<Outcome<ReenrollAllowance>> AllowAsync(EdgeServer server, string serial, TimeSpan? lifetime = null) =>
        server.Get<IReenrollAllowances>().AllowAsync(serial, lifetime ?? TimeSpan.FromHours(1), "operator:test", "wiped on the bench", server.Clock.GetUtcNow());

    [Fact]
    public async Task Takeover_of_an_active_serial_with_another_groups_token_is_refused_and_changes_nothing()
    {
        await using var server = await EdgeServer.StartAsync();
        var victim = await EnrollActiveAsync(server, "SN-VICTIM");
        var wipe = await server.QueueCommandAsync(victim.DeviceId, "wipe");
        var token = await OtherGroupTokenAsync(server);
        var before = (Detail: server.Get<IDeviceQueries>().Device("SN-VICTIM")!, Outbox: server.Get<IOutboxStore>().State().Depth, Tokens: server.Get<ITokenStore>().ListTokens());

        var detail = await RefusedAsync(await ReenrollAsync(server, "SN-VICTIM", token));

        Assert.Equal(Takeover, detail);
        var after = server.Get<IDeviceQueries>().Device("SN-VICTIM")!;
        Assert.Equal(("pickers", DeviceState.Active, 1), (after.Device.Group, after.Device.State, after.Enrollments));
        Assert.Equal(before.Detail.History, after.History);
        Assert.Equal(before.Outbox, server.Get<IOutboxStore>().State().Depth);
        Assert.Equal(before.Tokens, server.Get<ITokenStore>().ListTokens());
        Assert.Equal("queued", server.StatusOfOnlyCommand(victim.DeviceId));
        // The real device still holds its credential, and its queued command is still its own.
        var answer = await server.CheckinOkAsync(victim.DeviceSecret, new CheckinRequest());
        Assert.Equal(wipe.CommandId, Assert.Single(answer.Commands).Id);
    }

    [Fact]
    public async Task An_active_device_presenting_its_current_secret_re_enrolls_and_the_secret_rotates()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await EnrollActiveAsync(server, "SN-OWN");
        var token = await OtherGroupTokenAsync(server);

        var again = await EnrolledAsync(await ReenrollAsync(server, "SN-OWN", token, bearer: device.DeviceSecret));

        Assert.Equal(device.DeviceId, again.DeviceId);
        Assert.True(again.Reenrolled);
        Assert.NotEqual(device.DeviceSecret, again.DeviceSecret);
        Assert.Equal("vehicle-mounts", again.Group);
        await EnrollmentTests.ProblemAsync(await server.CheckinAsync(device.DeviceSecret, new CheckinRequest()), HttpStatusCode.Unauthorized);
        await server.CheckinOkAsync(again.DeviceSecret, new CheckinRequest());
        var detail = server.Get<IDeviceQueries>().Device("SN-OWN")!;
        Assert.Equal((DeviceState.Staging, "vehicle-mounts", 2), (detail.Device.State, detail.Device.Group, detail.Enrollments));
        Assert.Contains("proved by the device's current secret", detail.History.Single(h => h.To == DeviceState.Enrolling && h.From == DeviceState.Active).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_devices_secret_or_a_made_up_one_proves_nothing()
    {
        await using var server = await EdgeServer.StartAsync();
        await EnrollActiveAsync(server, "SN-VICTIM");
        var intruder = await server.EnrollAsync("SN-INTRUDER");

        Assert.Equal(Takeover, await RefusedAsync(await ReenrollAsync(server, "SN-VICTIM", EdgeServer.Token, bearer: intruder.DeviceSecret)));
        Assert.Equal(Takeover, await RefusedAsync(await ReenrollAsync(server, "SN-VICTIM", EdgeServer.Token, bearer: "ds_made-up")));
    }

    [Fact]
    public async Task An_operators_allowance_lets_one_re_enrollment_through_and_is_used_up()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await EnrollActiveAsync(server, "SN-WIPED");
        var token = await OtherGroupTokenAsync(server);
        var granted = (await AllowAsync(server, "SN-WIPED")).Value!;

        var again = await EnrolledAsync(await ReenrollAsync(server, "SN-WIPED", token));
        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Active, "test", "staged again", server.Clock.GetUtcNow());
        var detail = await RefusedAsync(await ReenrollAsync(server, "SN-WIPED", token));

        Assert.Equal((device.DeviceId, "vehicle-mounts"), (again.DeviceId, again.Group));
        Assert.StartsWith("device SN-WIPED is active; re-enrollment needs", detail, StringComparison.Ordinal);
        var shown = server.Get<IDeviceQueries>().Device("SN-WIPED")!;
        var allowance = Assert.Single(shown.Allowances);
        Assert.Equal((granted.Id, DeviceState.Active, "used", "operator:test", "wiped on the bench"), (allowance.Id, allowance.State, allowance.Outcome, allowance.GrantedBy, allowance.Reason));
        Assert.StartsWith("re-enrollment with token ", allowance.ClosedBy, StringComparison.Ordinal);
        Assert.Contains(shown.History, h => h.From == DeviceState.Active && h.To == DeviceState.Enrolling && h.Reason.EndsWith("allowed by operator:test (wiped on the bench)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_expired_allowance_allows_nothing()
    {
        await using var server = await EdgeServer.StartAsync();
        await EnrollActiveAsync(server, "SN-LATE");
        await AllowAsync(server, "SN-LATE", TimeSpan.FromMinutes(30));
        server.Clock.Advance(TimeSpan.FromMinutes(31));

        var detail = await RefusedAsync(await ReenrollAsync(server, "SN-LATE", EdgeServer.Token));

        Assert.StartsWith("device SN-LATE is active; re-enrollment needs its current credential or an operator's allowance", detail, StringComparison.Ordinal);
        Assert.Contains("the allowance operator:test gave expired at", detail, StringComparison.Ordinal);
        Assert.Equal("expired", server.Get<IDeviceQueries>().Device("SN-LATE")!.Allowances.Single().StatusAt(server.Clock.GetUtcNow()));
    }

    [Fact]
    public async Task A_quarantined_device_needs_an_allowance_even_with_its_own_secret()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await EnrollActiveAsync(server, "SN-LOST");
        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Quarantined, "test", "lost on the floor", server.Clock.GetUtcNow());

        var refused = await RefusedAsync(await ReenrollAsync(server, "SN-LOST", EdgeServer.Token, bearer: device.DeviceSecret));
        await AllowAsync(server, "SN-LOST");
        var again = await EnrolledAsync(await ReenrollAsync(server, "SN-LOST", EdgeServer.Token));

        Assert.Equal("device SN-LOST is quarantined; re-enrollment needs an operator's allowance (edgemdm-edge devices allow-reenroll SN-LOST)", refused);
        Assert.Equal(device.DeviceId, again.DeviceId);
        Assert.Equal(DeviceState.Staging, server.Get<IDeviceQueries>().Device("SN-LOST")!.Device.State);
    }

    [Fact]
    public async Task A_retired_device_never_re_enrolls_and_gets_no_allowance()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await EnrollActiveAsync(server, "SN-GONE");
        foreach (var state in new[] { DeviceState.Quarantined, DeviceState.Retired })
            await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, state, "test", "written off", server.Clock.GetUtcNow());

        var allowance = await AllowAsync(server, "SN-GONE");
        var detail = await RefusedAsync(await ReenrollAsync(server, "SN-GONE", EdgeServer.Token));

        Assert.Equal(RefusalKind.Conflict, allowance.Refusal!.Kind);
        Assert.Contains("Retired is final", allowance.Refusal.Detail, StringComparison.Ordinal);
        Assert.Equal("device SN-GONE is retired (Retired is final) and cannot enroll again", detail);
        Assert.Empty(server.Get<IDeviceQueries>().Device("SN-GONE")!.Allowances);
    }

    [Theory]
    [InlineData(DeviceState.Staging)]
    [InlineData(DeviceState.InRepair)]
    public async Task A_device_being_staged_or_back_from_repair_re_enrolls_with_a_token_alone_into_its_group(DeviceState state)
    {
        await using var server = await EdgeServer.StartAsync();
        var device = state == DeviceState.Staging ? await server.EnrollAsync("SN-BENCH") : await EnrollActiveAsync(server, "SN-BENCH");
        if (state == DeviceState.InRepair)
            await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.InRepair, "test", "cracked screen", server.Clock.GetUtcNow());
        var token = await OtherGroupTokenAsync(server);

        var allowance = await AllowAsync(server, "SN-BENCH");
        var again = await EnrolledAsync(await ReenrollAsync(server, "SN-BENCH", token));

        Assert.Equal(RefusalKind.Conflict, allowance.Refusal!.Kind);
        Assert.Contains("no allowance was recorded", allowance.Refusal.Detail, StringComparison.Ordinal);
        Assert.Equal((device.DeviceId, "vehicle-mounts"), (again.DeviceId, again.Group));
    }

    [Fact]
    public async Task An_allowance_for_an_unknown_serial_is_refused_and_a_new_grant_replaces_the_open_one()
    {
        await using var server = await EdgeServer.StartAsync();
        await EnrollActiveAsync(server, "SN-1");

        var unknown = await AllowAsync(server, "SN-NOBODY");
        var first = (await AllowAsync(server, "SN-1")).Value!;
        var second = (await AllowAsync(server, "SN-1", TimeSpan.FromMinutes(10))).Value!;

        Assert.Equal(RefusalKind.NotFound, unknown.Refusal!.Kind);
        var allowances = server.Get<IDeviceQueries>().Device("SN-1")!.Allowances;
        Assert.Equal([(first.Id, "replaced"), (second.Id, "open")], allowances.Select(a => (a.Id, a.StatusAt(server.Clock.GetUtcNow()))));
        Assert.Equal(server.Clock.GetUtcNow().AddMinutes(10), second.ExpiresAt);
    }

    [Fact]
    public async Task Quarantining_a_device_revokes_its_open_allowance()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await EnrollActiveAsync(server, "SN-1");
        await AllowAsync(server, "SN-1");

        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Quarantined, "operator:night-shift", "lost on the floor", server.Clock.GetUtcNow());
        var detail = await RefusedAsync(await ReenrollAsync(server, "SN-1", EdgeServer.Token));

        Assert.StartsWith("device SN-1 is quarantined; re-enrollment needs an operator's allowance", detail, StringComparison.Ordinal);
        var allowance = server.Get<IDeviceQueries>().Device("SN-1")!.Allowances.Single();
        Assert.Equal(("revoked", "operator:night-shift moved the device to Quarantined"), (allowance.Outcome, allowance.ClosedBy));
    }

    [Fact]
    public async Task An_operator_cannot_move_a_device_to_enrolling_by_hand()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await EnrollActiveAsync(server, "SN-1");

        var outcome = await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Enrolling, "test", "let it enroll", server.Clock.GetUtcNow());

        Assert.Equal(RefusalKind.Conflict, outcome.Refusal!.Kind);
        Assert.Contains("edgemdm-edge devices allow-reenroll SN-1", outcome.Refusal.Detail, StringComparison.Ordinal);
        Assert.Equal(DeviceState.Active, server.Get<IDeviceQueries>().Device("SN-1")!.Device.State);
    }

    [Fact]
    public async Task Refused_enrollments_are_counted_by_reason_on_the_appliances_meter()
    {
        await using var server = await EdgeServer.StartAsync();
        using var refusals = new RefusalCounter(server);
        var active = await EnrollActiveAsync(server, "SN-ACTIVE");
        var lost = await EnrollActiveAsync(server, "SN-LOST");
        await server.Get<IDeviceAdmin>().TransitionAsync(lost.DeviceId, DeviceState.Quarantined, "test", "lost", server.Clock.GetUtcNow());
        await EnrollActiveAsync(server, "SN-LATE");
        await AllowAsync(server, "SN-LATE", TimeSpan.FromMinutes(1));
        server.Clock.Advance(TimeSpan.FromMinutes(2));

        await RefusedAsync(await ReenrollAsync(server, "SN-ACTIVE", EdgeServer.Token));
        await RefusedAsync(await ReenrollAsync(server, "SN-ACTIVE", EdgeServer.Token, bearer: "ds_guess"));
        await RefusedAsync(await ReenrollAsync(server, "SN-LOST", EdgeServer.Token, bearer: lost.DeviceSecret));
        await RefusedAsync(await ReenrollAsync(server, "SN-LATE", EdgeServer.Token));
        await RefusedAsync(await ReenrollAsync(server, "SN-NEW", "no-such-token-000000"));
        await EnrolledAsync(await ReenrollAsync(server, "SN-ACTIVE", EdgeServer.Token, bearer: active.DeviceSecret));

        Assert.Equal(
            ["allowance_expired", "credential_mismatch", "device_active", "device_quarantined", "token_unknown"],
            refusals.Reasons.Order(StringComparer.Ordinal));
    }

    /// <summary>The refusals one appliance counts: its own meter only (tests run appliances side by side in one process).</summary>
    private sealed class RefusalCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<string> _reasons = new();

        public RefusalCounter(EdgeServer server)
        {
            var factory = server.Get<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory) && string.Equals(instrument.Meter.Name, EdgeMetrics.MeterName, StringComparison.Ordinal)
                    && string.Equals(instrument.Name, "edgemdm.enrollments.refused", StringComparison.Ordinal))
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (string.Equals(tag.Key, "reason", StringComparison.Ordinal))
                    {
                        for (var i = 0; i < value; i++)
                            _reasons.Enqueue((string)tag.Value!);
                    }
                }
            });
            _listener.Start();
        }

        public IReadOnlyList<string> Reasons => [.. _reasons];

        public void Dispose() => _listener.Dispose();
    }
}
