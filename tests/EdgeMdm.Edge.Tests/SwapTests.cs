using EdgeMdm.Edge.SiteUsers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Custody;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Custody;
using EdgeMdm.Edge.Spares;
using static EdgeMdm.Edge.Tests.SpareTestFloor;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// A swap (issue 25): start proposes the best Ready spare and changes neither device; confirm moves group and assignment
/// to the scanned spare, quarantines the broken device, queues its wipe, opens its repair record: all in one unit, or
/// nothing.
/// </summary>
public sealed class SwapTests
{
    private const string Password = "floor password";
    private static readonly string PasswordHashed = PasswordHash.Create(Password, 1_000);

    /// <summary>A broken device handed to picker 12 in group pickers, and two spares in group vehicle-mounts (a 90 % and a 99 %).</summary>
    private static async Task<(EnrollResponse Broken, EnrollResponse Low, EnrollResponse High)> FloorAsync(EdgeServer server)
    {
        var broken = await ActiveAsync(server, "SN-BROKEN", 70);
        var low = await ActiveAsync(server, "SN-SPARE-90", 90);
        var high = await ActiveAsync(server, "SN-SPARE-99", 99);
        await AssignAsync(server, broken.DeviceId, "picker 12");
        foreach (var spare in new[] { low, high })
        {
            await server.Get<EdgeStorage>().WriteAsync(unit =>
            {
                server.Get<IDeviceRegistry>().Reassign(unit, spare.DeviceId, "vehicle-mounts", null, "test", "spare shelf", null, Now(server));
                return 0;
            });
            await CheckInAsync(server, spare.DeviceSecret, spare == low ? 90 : 99);
        }

        await PoolAsync(server, 1, low.DeviceId, high.DeviceId);
        return (broken, low, high);
    }

    private static ISwaps Swaps(EdgeServer server) => server.Get<ISwaps>();

    [Fact]
    public async Task Start_proposes_the_Ready_spare_with_the_highest_charge_and_changes_neither_device()
    {
        await using var server = await EdgeServer.StartAsync();
        var (broken, _, high) = await FloorAsync(server);
        var before = Snapshot(server);

        var swap = (await Swaps(server).StartAsync(broken.DeviceId, "cracked screen", wipe: true, "test", Now(server))).Value;

        Assert.NotNull(swap);
        Assert.Equal((high.DeviceId, "SN-SPARE-99", SwapState.Proposed, true), (swap.ProposedSpareId, swap.ProposedSerial, swap.State, swap.Wipe));
        Assert.Equal(Now(server) + TimeSpan.FromMinutes(15), swap.ExpiresAt);
        var after = Snapshot(server);
        Assert.Equal(before.Split('\n').Where(l => !l.StartsWith("swaps", StringComparison.Ordinal)), after.Split('\n').Where(l => !l.StartsWith("swaps", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Confirm_moves_group_and_assignment_quarantines_queues_the_wipe_and_opens_the_repair_record_once()
    {
        await using var server = await EdgeServer.StartAsync();
        var (broken, low, _) = await FloorAsync(server);
        var swap = (await Swaps(server).StartAsync(broken.DeviceId, "cracked screen", wipe: true, "test", Now(server))).Value!;
        var outboxBefore = Outbox(server).Count;

        // The operator took the other Ready spare off the shelf: it may differ from the proposed one.
        var confirmed = (await Swaps(server).ConfirmAsync(swap.SwapId, "SN-SPARE-90", "site-user:anna", Now(server))).Value;

        Assert.NotNull(confirmed);
        Assert.Equal((SwapState.Confirmed, low.DeviceId, "SN-SPARE-90"), (confirmed.State, confirmed.SpareId, confirmed.SpareSerial));
        var devices = server.Get<IDeviceQueries>();
        var spare = devices.Device(low.DeviceId)!.Device;
        var gone = devices.Device(broken.DeviceId)!;
        Assert.Equal(("pickers", "picker 12", DeviceState.Active), (spare.Group, spare.Assignment, spare.State));
        Assert.Equal(("pickers", (string?)null, DeviceState.Quarantined), (gone.Device.Group, gone.Device.Assignment, gone.Device.State));
        Assert.Equal(("site-user:anna", "cracked screen"), (gone.History[^1].Actor, gone.History[^1].Reason));
        var wipe = Assert.Single(server.Get<ICommandStore>().ListCommands(broken.DeviceId));
        Assert.Equal(("wipe", "queued"), (wipe.Type, wipe.Status));
        var chain = server.Get<ICustodyLog>().ChainOf(broken.DeviceId);
        var repair = Assert.Single(chain);
        Assert.Equal(("site", "repair", "site-user:anna", "cracked screen", ""), (repair.From, repair.To, repair.Actor, repair.Note, repair.PreviousHash));
        Assert.Equal(CustodyChain.HashOf(repair), repair.Hash);
        var added = Outbox(server).Skip(outboxBefore).Where(c => c.ChangeCase != SiteChange.ChangeOneofCase.AuditRecorded).ToList();
        Assert.Equal(
            [
                (low.DeviceId, SiteChange.ChangeOneofCase.DeviceReassigned),
                (broken.DeviceId, SiteChange.ChangeOneofCase.DeviceReassigned),
                (broken.DeviceId, SiteChange.ChangeOneofCase.Transitioned),
                (broken.DeviceId, SiteChange.ChangeOneofCase.CommandQueued),
                (broken.DeviceId, SiteChange.ChangeOneofCase.CustodyRecorded),
            ],
            added.Select(c => (c.DeviceId, c.ChangeCase)));
        Assert.Equal(("vehicle-mounts", "pickers", "", "picker 12", swap.SwapId), (added[0].DeviceReassigned.FromGroup, added[0].DeviceReassigned.ToGroup,
            added[0].DeviceReassigned.FromAssignment, added[0].DeviceReassigned.ToAssignment, added[0].DeviceReassigned.SwapId));
        Assert.Equal(("picker 12", ""), (added[1].DeviceReassigned.FromAssignment, added[1].DeviceReassigned.ToAssignment));
        Assert.Equal(("Active", "Quarantined"), (added[2].Transitioned.FromState, added[2].Transitioned.ToState));
    }

    [Fact]
    public async Task The_swapped_in_spare_checks_in_with_its_new_groups_declarations()
    {
        await using var server = await EdgeServer.StartAsync();
        var (broken, _, high) = await FloorAsync(server);
        var swap = (await Swaps(server).StartAsync(broken.DeviceId, "dropped", wipe: false, "test", Now(server))).Value!;
        await Swaps(server).ConfirmAsync(swap.SwapId, "SN-SPARE-99", "test", Now(server));

        var declarations = await server.DeclarationsAsync(high.DeviceSecret);

        Assert.Equal("pickers", declarations.Group);
        Assert.Empty(server.Get<ICommandStore>().ListCommands(broken.DeviceId));
    }

    public static TheoryData<string> Steps => ["reassign-spare", "reassign-broken", "transition", "wipe", "custody", "alerts"];

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task A_fault_at_any_step_of_a_confirm_leaves_both_devices_outbox_custody_and_swap_as_before(string step)
    {
        var faults = new Faults();
        await using var server = await EdgeServer.StartWithAsync(services => faults.Install(services));
        var (broken, _, _) = await FloorAsync(server);
        var swap = (await Swaps(server).StartAsync(broken.DeviceId, "cracked screen", wipe: true, "test", Now(server))).Value!;
        var before = Snapshot(server);

        faults.FailAt = step;
        var failure = await Assert.ThrowsAsync<InjectedFault>(() => Swaps(server).ConfirmAsync(swap.SwapId, "SN-SPARE-99", "test", Now(server)));

        Assert.Equal(step, failure.Message);
        Assert.Equal(before, Snapshot(server));
        faults.FailAt = null;
        var retried = (await Swaps(server).ConfirmAsync(swap.SwapId, "SN-SPARE-99", "test", Now(server))).Value;
        Assert.Equal(SwapState.Confirmed, retried?.State);
        Assert.Single(server.Get<ICustodyLog>().ChainOf(broken.DeviceId));
    }

    [Fact]
    public async Task Confirming_with_a_spare_that_is_not_Ready_is_refused_naming_its_state_and_changes_nothing()
    {
        await using var server = await EdgeServer.StartAsync();
        var (broken, low, _) = await FloorAsync(server);
        var swap = (await Swaps(server).StartAsync(broken.DeviceId, "cracked screen", wipe: false, "test", Now(server))).Value!;
        await CheckInAsync(server, low.DeviceSecret, 40);
        var outsider = await ActiveAsync(server, "SN-OUTSIDER", 99);
        var before = Snapshot(server);

        var charging = (await Swaps(server).ConfirmAsync(swap.SwapId, "SN-SPARE-90", "test", Now(server))).Refusal;
        var notMember = (await Swaps(server).ConfirmAsync(swap.SwapId, "SN-OUTSIDER", "test", Now(server))).Refusal;
        var itself = (await Swaps(server).ConfirmAsync(swap.SwapId, "SN-BROKEN", "test", Now(server))).Refusal;

        Assert.Equal(SwapService.SpareNotReadyType, charging?.Type);
        Assert.Contains("SN-SPARE-90 is Charging (40 %)", charging!.Detail, StringComparison.Ordinal);
        Assert.Contains("not a spare of the TC52 pool", notMember!.Detail, StringComparison.Ordinal);
        Assert.Contains("being swapped out", itself!.Detail, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(server));
        Assert.Equal(outsider.DeviceId, server.Get<IDeviceQueries>().Find("SN-OUTSIDER")!.Id);
    }

    [Fact]
    public async Task Start_refuses_a_device_that_is_not_Active_and_a_pool_without_a_Ready_spare()
    {
        await using var server = await EdgeServer.StartAsync();
        var (broken, low, high) = await FloorAsync(server);
        var staging = await server.EnrollAsync("SN-NEW");
        await CheckInAsync(server, low.DeviceSecret, 10);
        await AssignAsync(server, high.DeviceId, "route 7");

        var notActive = (await Swaps(server).StartAsync(staging.DeviceId, "broken", false, "test", Now(server))).Refusal;
        var none = (await Swaps(server).StartAsync(broken.DeviceId, "broken", false, "test", Now(server))).Refusal;

        Assert.Equal(Domain.Outcomes.RefusalKind.Conflict, notActive?.Kind);
        Assert.Equal(SwapService.NoReadySpareType, none?.Type);
        Assert.Empty(Swaps(server).List());
    }

    [Fact]
    public async Task A_proposal_expires_after_its_lifetime_and_cannot_be_confirmed()
    {
        await using var server = await EdgeServer.StartAsync();
        var (broken, _, _) = await FloorAsync(server);
        var swap = (await Swaps(server).StartAsync(broken.DeviceId, "cracked", false, "test", Now(server))).Value!;

        server.Clock.Advance(TimeSpan.FromMinutes(14));
        var stillProposed = Swaps(server).Find(swap.SwapId)!.State;
        // Past its lifetime, the appliance's periodic look closes it.
        server.Clock.Advance(TimeSpan.FromMinutes(2));
        for (var i = 0; i < 200 && Swaps(server).Find(swap.SwapId)!.State == SwapState.Proposed; i++)
            await Task.Delay(25);
        var confirm = (await Swaps(server).ConfirmAsync(swap.SwapId, "SN-SPARE-99", "test", Now(server))).Refusal;

        Assert.Equal(SwapState.Proposed, stillProposed);
        Assert.Equal((SwapState.Expired, "appliance"), (Swaps(server).Find(swap.SwapId)!.State, Swaps(server).Find(swap.SwapId)!.ClosedBy));
        Assert.Equal("Swap closed", confirm?.Title);
        Assert.Equal(DeviceState.Active, server.Get<IDeviceQueries>().Find(broken.DeviceId)!.State);
    }

    [Fact]
    public async Task The_api_takes_site_users_and_the_local_operator_and_refuses_devices_and_anonymous_callers()
    {
        await using var server = await EdgeServer.StartAsync();
        var (broken, _, _) = await FloorAsync(server);
        await HubCatalog.ApplyAsync(server,
            new HubChange { Position = 1, SiteUserUpserted = new SiteUserUpserted { UserName = "anna", Role = SiteUserRoles.Operator, PasswordHash = PasswordHashed } },
            new HubChange { Position = 2, SiteUserUpserted = new SiteUserUpserted { UserName = "guest", Role = "visitor", PasswordHash = PasswordHashed } });

        using var anonymous = await server.Http.GetAsync(new Uri("/api/v1/swaps", UriKind.Relative));
        using var device = await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/swaps", broken.DeviceSecret));
        using var wrongPassword = await server.Http.SendAsync(Basic(HttpMethod.Get, "/api/v1/swaps", "anna", "nope"));
        using var visitor = await server.Http.SendAsync(Basic(HttpMethod.Get, "/api/v1/swaps", "guest", Password));
        using var noReason = await server.Http.SendAsync(Basic(HttpMethod.Post, "/api/v1/swaps", "anna", Password, $$"""{"deviceId":"{{broken.DeviceId}}"}"""));
        using var unknownSwap = await server.Http.SendAsync(Basic(HttpMethod.Post, "/api/v1/swaps/swap-nope/confirm", "anna", Password, """{"spareSerial":"SN-SPARE-99"}"""));
        using var started = await server.Http.SendAsync(Basic(HttpMethod.Post, "/api/v1/swaps", "anna", Password, $$"""{"deviceId":"SN-BROKEN","reason":"cracked"}"""));
        var local = EdgeServer.Authorized(HttpMethod.Get, "/api/v1/swaps", SiteOperatorAuthentication.ReadToken(server.DataDir)!);
        using var operatorCommand = await server.Http.SendAsync(local);

        Assert.Equal(
            [HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.BadRequest,
                HttpStatusCode.NotFound, HttpStatusCode.Created, HttpStatusCode.OK],
            new[] { anonymous, device, wrongPassword, visitor, noReason, unknownSwap, started, operatorCommand }.Select(r => r.StatusCode));
        foreach (var refused in new[] { anonymous, device, visitor, noReason, unknownSwap })
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var swap = JsonNode.Parse(await started.Content.ReadAsStringAsync())!;
        Assert.Equal(("site-user:anna", "SN-SPARE-99"), (swap["createdBy"]!.GetValue<string>(), swap["proposedSerial"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Api_refusals_carry_their_problem_types()
    {
        await using var server = await EdgeServer.StartAsync();
        var (broken, low, high) = await FloorAsync(server);
        var token = SiteOperatorAuthentication.ReadToken(server.DataDir)!;
        await server.Get<ISpareAdmin>().RemoveAsync(low.DeviceId, "test", Now(server));
        await CheckInAsync(server, high.DeviceSecret, 50);

        using var none = await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Post, "/api/v1/swaps", token, Json($$"""{"deviceId":"{{broken.DeviceId}}","reason":"cracked"}""")));

        Assert.Equal(HttpStatusCode.Conflict, none.StatusCode);
        Assert.Equal(SwapService.NoReadySpareType, JsonNode.Parse(await none.Content.ReadAsStringAsync())!["type"]!.GetValue<string>());
    }

    private static HttpRequestMessage Basic(HttpMethod method, string path, string user, string password, string? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
        return request;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private sealed class InjectedFault(string step) : Exception(step);

    /// <summary>Decorators of the collaborators a confirm calls, each throwing at its step when told to.</summary>
    private sealed class Faults
    {
        private int _reassigns;

        public string? FailAt { get; set; }

        public void Install(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
        {
            Decorate<IDeviceRegistry>(services, inner => new Registry(inner, this));
            Decorate<ICommandEnqueuer>(services, inner => new Commands(inner, this));
            Decorate<ICustodyLog>(services, inner => new Custody(inner, this));
            Decorate<Edge.Alerts.IAlerts>(services, inner => new FaultyAlerts(inner, this));
        }

        private void Step(string step)
        {
            if (string.Equals(FailAt, step, StringComparison.Ordinal))
                throw new InjectedFault(step);
        }

        private sealed class Registry(IDeviceRegistry inner, Faults faults) : IDeviceRegistry
        {
            public DeviceRecord? BySecret(UnitOfWork unit, string secretHash) => inner.BySecret(unit, secretHash);
            public DeviceRecord? Find(UnitOfWork unit, string deviceIdOrSerial) => inner.Find(unit, deviceIdOrSerial);
            public DeviceRecord? BySerial(UnitOfWork unit, string serial) => inner.BySerial(unit, serial);
            public bool HoldsSecret(UnitOfWork unit, string deviceId, string secretHash) => inner.HoldsSecret(unit, deviceId, secretHash);
            public IReadOnlyList<GroupMember> InGroup(UnitOfWork unit, string group) => inner.InGroup(unit, group);

            public string Add(UnitOfWork unit, DeviceFacts facts, string group, DeviceCredential credential, string reason, DateTimeOffset now, string? stagingBatchId = null) =>
                inner.Add(unit, facts, group, credential, reason, now, stagingBatchId);

            public void Reenroll(UnitOfWork unit, DeviceRecord device, DeviceFacts facts, string group, DeviceCredential credential, string reason, DateTimeOffset now, string? stagingBatchId = null) =>
                inner.Reenroll(unit, device, facts, group, credential, reason, now, stagingBatchId);

            public StateTransition Transition(UnitOfWork unit, string deviceId, DeviceState current, DeviceState target, string actor, string reason, DateTimeOffset now)
            {
                var transition = inner.Transition(unit, deviceId, current, target, actor, reason, now);
                faults.Step("transition");
                return transition;
            }

            public bool RecordCheckin(UnitOfWork unit, string deviceId, CheckinWrite write) => inner.RecordCheckin(unit, deviceId, write);

            public void Reassign(UnitOfWork unit, string deviceId, string group, string? assignment, string actor, string reason, string? swapId, DateTimeOffset now)
            {
                inner.Reassign(unit, deviceId, group, assignment, actor, reason, swapId, now);
                if (swapId is not null)
                    faults.Step(faults._reassigns++ % 2 == 0 ? "reassign-spare" : "reassign-broken");
            }
        }

        private sealed class Commands(ICommandEnqueuer inner, Faults faults) : ICommandEnqueuer
        {
            public CommandSummary Queue(UnitOfWork unit, string deviceId, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now)
            {
                var queued = inner.Queue(unit, deviceId, type, parameters, expiresAt, actor, now);
                faults.Step("wipe");
                return queued;
            }
        }

        private sealed class Custody(ICustodyLog inner, Faults faults) : ICustodyLog
        {
            public CustodyEvent Append(UnitOfWork unit, CustodyHandOff handOff, DateTimeOffset now)
            {
                var appended = inner.Append(unit, handOff, now);
                faults.Step("custody");
                return appended;
            }

            public IReadOnlyList<CustodyEvent> ChainOf(string subject) => inner.ChainOf(subject);
        }

        private sealed class FaultyAlerts(Edge.Alerts.IAlerts inner, Faults faults) : Edge.Alerts.IAlerts
        {
            public void Raise(UnitOfWork unit, string kind, string subject, string message, DateTimeOffset now)
            {
                inner.Raise(unit, kind, subject, message, now);
                faults.Step("alerts");
            }

            public void Clear(UnitOfWork unit, string kind, string subject, DateTimeOffset now)
            {
                inner.Clear(unit, kind, subject, now);
                faults.Step("alerts");
            }

            public IReadOnlyList<Edge.Alerts.AlertRecord> Open() => inner.Open();

            public Task<Domain.Outcomes.Outcome<Edge.Alerts.AlertRecord>> AcknowledgeAsync(long id, string actor, string note, DateTimeOffset now) => inner.AcknowledgeAsync(id, actor, note, now);
        }
    }
}
