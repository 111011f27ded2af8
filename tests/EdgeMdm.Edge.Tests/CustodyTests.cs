using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Custody;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Custody;
using MQTTnet;
using SQLite;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Chain of custody at the site, through the real host and data directory: hand-offs and their lifecycle effects,
/// decommissioning that ends a device's credentials, refusals that write nothing, the outbox, the API for site users,
/// and verification of chains tampered with in the SQLite file.
/// </summary>
public sealed class CustodyTests : IAsyncLifetime
{
    private const string OperatorPassword = "floor password 1";
    private EdgeServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await EdgeServer.StartAsync("--mqtt-listen", "127.0.0.1:0");
        await HubCatalog.ApplyAsync(_server, new HubChange
        {
            Position = 1,
            AtUnixMs = 1_700_000_000_000,
            SiteUserUpserted = new SiteUserUpserted { UserName = "ann", Role = SiteUserRoles.Operator, PasswordHash = PasswordHash.Create(OperatorPassword, 1_000) },
        });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ICustodyDesk Desk => _server.Get<ICustodyDesk>();

    private Task<Domain.Outcomes.Outcome<CustodyRecorded>> RecordAsync(string subject, string from, string to, string? erasure = null, bool battery = false, string? note = null) =>
        Desk.RecordAsync(new CustodyRecordRequest(subject, battery, from, to, "operator:test", note, "dock 3", erasure), _server.Clock.GetUtcNow());

    private async Task<EnrollResponse> ActiveDeviceAsync(string serial)
    {
        var device = await _server.EnrollAsync(serial);
        var admin = _server.Get<IDeviceAdmin>();
        if (_server.Get<IDeviceQueries>().Find(device.DeviceId)!.State == DeviceState.Enrolling)
            Assert.NotNull((await admin.TransitionAsync(device.DeviceId, DeviceState.Staging, "test", "staged", _server.Clock.GetUtcNow())).Value);
        Assert.NotNull((await admin.TransitionAsync(device.DeviceId, DeviceState.Active, "test", "on the floor", _server.Clock.GetUtcNow())).Value);
        return device;
    }

    private DeviceState StateOf(string deviceId) => _server.Get<IDeviceQueries>().Find(deviceId)!.State;

    [Fact]
    public async Task A_device_handed_away_is_quarantined_and_coming_back_leaves_its_state_to_the_operator()
    {
        var device = await ActiveDeviceAsync("SN-CUST-1");

        var toCourier = (await RecordAsync("SN-CUST-1", "site", "courier", note: "broken trigger")).Value!;
        Assert.Equal(DeviceState.Quarantined, StateOf(device.DeviceId));
        Assert.Equal([(DeviceState.Active, DeviceState.Quarantined)], toCourier.Transitions.Select(t => (t.From!.Value, t.To)));
        Assert.Equal((device.DeviceId, 0L, "", "SN-CUST-1"), (toCourier.Event.Subject, toCourier.Event.Index, toCourier.Event.PreviousHash, toCourier.Serial));

        var toDepot = (await RecordAsync(device.DeviceId, "courier", "repair depot")).Value!;
        var back = (await RecordAsync(device.DeviceId, "repair depot", "site")).Value!;

        Assert.Empty(toDepot.Transitions);
        Assert.Empty(back.Transitions);
        Assert.Equal(DeviceState.Quarantined, StateOf(device.DeviceId));
        Assert.Equal(toCourier.Event.Hash, toDepot.Event.PreviousHash);
        Assert.Equal(toDepot.Event.Hash, back.Event.PreviousHash);
        var chain = Desk.Show("SN-CUST-1")!;
        Assert.Equal(["courier", "repair depot", "site"], chain.Events.Select(e => e.To));
        Assert.Equal("dock 3", chain.Events[0].Place);
    }

    [Fact]
    public async Task A_hand_off_must_come_from_the_last_holder()
    {
        var device = await ActiveDeviceAsync("SN-CUST-HOLDER");
        Assert.NotNull((await RecordAsync(device.DeviceId, "site", "courier")).Value);

        var refused = await RecordAsync(device.DeviceId, "site", "repair depot");

        Assert.Equal(Domain.Outcomes.RefusalKind.Conflict, refused.Refusal?.Kind);
        Assert.Contains("last handed to 'courier'", refused.Refusal!.Detail, StringComparison.Ordinal);
        Assert.Single(Desk.Show(device.DeviceId)!.Events);
    }

    [Fact]
    public async Task Unknown_device_is_refused_and_nothing_is_written()
    {
        var before = Outbox().Count;

        var refused = await RecordAsync("SN-NOBODY", "site", "courier");

        Assert.Equal(Domain.Outcomes.RefusalKind.NotFound, refused.Refusal?.Kind);
        Assert.Contains("--battery", refused.Refusal!.Detail, StringComparison.Ordinal);
        Assert.Equal(before, Outbox().Count);
        Assert.Equal(0, _server.Get<EdgeStorage>().Read(db => db.ExecuteScalar<long>("SELECT count(*) FROM custody_events")));
    }

    [Fact]
    public async Task A_battery_is_recorded_with_the_battery_flag_and_a_device_serial_is_not_a_battery()
    {
        var device = await ActiveDeviceAsync("SN-CUST-BAT");

        var battery = (await RecordAsync("BAT-77", "site", "recycler", battery: true)).Value!;
        var notBattery = await RecordAsync("SN-CUST-BAT", "site", "recycler", battery: true);
        var erasedBattery = await RecordAsync("BAT-77", "recycler", "site", erasure: "shred:C-1", battery: true);

        Assert.Equal((CustodySubjectKind.Battery, "BAT-77"), (battery.Event.SubjectKind, battery.Event.Subject));
        Assert.Empty(battery.Transitions);
        Assert.Equal(Domain.Outcomes.RefusalKind.Conflict, notBattery.Refusal?.Kind);
        Assert.Equal(Domain.Outcomes.RefusalKind.Unprocessable, erasedBattery.Refusal?.Kind);
        Assert.Equal(DeviceState.Active, StateOf(device.DeviceId));
        Assert.Equal("", Outbox().Single(c => c.ChangeCase == SiteChange.ChangeOneofCase.CustodyRecorded).DeviceId);
    }

    [Fact]
    public async Task Decommissioning_retires_the_device_with_its_erasure_record_and_its_credentials_stop_working()
    {
        var device = await ActiveDeviceAsync("SN-CUST-END");
        using var live = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, (await live.ConnectAsync(MqttOptions(device), CancellationToken.None)).ResultCode);

        var recorded = (await RecordAsync("SN-CUST-END", "site", "recycler", erasure: "nist-800-88-purge:CERT-2291")).Value!;

        Assert.Equal(DeviceState.Retired, StateOf(device.DeviceId));
        Assert.Equal([DeviceState.Quarantined, DeviceState.Retired], recorded.Transitions.Select(t => t.To));
        Assert.Equal(("nist-800-88-purge", "CERT-2291"), (recorded.Event.ErasureMethod, recorded.Event.ErasureCertificate));
        // Check-in: refused as every retired device is.
        using (var checkin = await _server.CheckinAsync(device.DeviceSecret, new CheckinRequest()))
            Assert.Equal(HttpStatusCode.Forbidden, checkin.StatusCode);
        // Downloads: refused before any package is looked up.
        using (var download = await _server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/packages/" + new string('a', 64), device.DeviceSecret)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, download.StatusCode);
            Assert.Contains("retired", await download.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // MQTT: a new login is refused, and the live session ends at the broker's next check.
        using var again = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, (await again.ConnectAsync(MqttOptions(device), CancellationToken.None)).ResultCode);
        _server.Clock.Advance(EmbeddedMqttBroker.RevalidationInterval);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (live.IsConnected && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.False(live.IsConnected);
    }

    [Fact]
    public async Task Each_event_and_the_moves_it_made_reach_the_outbox_once_in_order()
    {
        var device = await ActiveDeviceAsync("SN-CUST-OUT");
        var before = Outbox().Count;

        await RecordAsync(device.DeviceId, "site", "courier");
        await RecordAsync(device.DeviceId, "courier", "recycler", erasure: "degauss:C-9");

        var changes = Outbox().Skip(before).Where(c => c.ChangeCase != SiteChange.ChangeOneofCase.AuditRecorded).ToList();
        Assert.Equal(
            ["custody 0 site→courier", "Active->Quarantined", "custody 1 courier→recycler", "Quarantined->Retired"],
            changes.Select(c => c.ChangeCase == SiteChange.ChangeOneofCase.CustodyRecorded
                ? $"custody {c.CustodyRecorded.Index} {c.CustodyRecorded.FromParty}→{c.CustodyRecorded.ToParty}"
                : c.Transitioned.FromState + "->" + c.Transitioned.ToState));
        Assert.All(changes, c => Assert.Equal(device.DeviceId, c.DeviceId));
        var chain = Desk.Show(device.DeviceId)!.Events;
        Assert.Equal(chain.Select(e => e.Hash), changes.Where(c => c.ChangeCase == SiteChange.ChangeOneofCase.CustodyRecorded).Select(c => c.CustodyRecorded.Hash));
    }

    [Fact]
    public async Task Verify_names_an_edited_a_deleted_and_a_reordered_event_in_the_sqlite_file()
    {
        var edited = await ChainOfAsync("SN-V-EDIT", 3);
        var deleted = await ChainOfAsync("SN-V-DEL", 4);
        var reordered = await ChainOfAsync("SN-V-ORDER", 4);
        var untouched = await ChainOfAsync("SN-V-OK", 2);
        Assert.True(Desk.Verify(null).AllVerify);

        using (var db = new SQLiteConnection(EdgeDatabase.PathIn(_server.DataDir)))
        {
            db.Execute("UPDATE custody_events SET to_party = 'my garage' WHERE subject = ? AND idx = 1", edited);
            db.Execute("DELETE FROM custody_events WHERE subject = ? AND idx = 2", deleted);
            // Events 1 and 2 swap places: their indexes are exchanged (through a free one, the key being unique).
            db.Execute("UPDATE custody_events SET idx = 99 WHERE subject = ? AND idx = 1", reordered);
            db.Execute("UPDATE custody_events SET idx = 1 WHERE subject = ? AND idx = 2", reordered);
            db.Execute("UPDATE custody_events SET idx = 2 WHERE subject = ? AND idx = 99", reordered);
        }

        var verdict = Desk.Verify(null);

        Assert.Equal(4, verdict.Chains);
        Assert.Equal(
            [(edited, 1L, CustodyProblemKind.Edited), (deleted, 2L, CustodyProblemKind.Removed), (reordered, 1L, CustodyProblemKind.Reordered), (reordered, 2L, CustodyProblemKind.Reordered)],
            verdict.Problems.Select(p => (p.Subject, p.Index, p.Kind)));
        Assert.True(Desk.Verify(untouched).AllVerify);
    }

    [Fact]
    public async Task Verify_names_an_event_edited_with_its_hash_recomputed()
    {
        var subject = await ChainOfAsync("SN-V-REHASH", 3);
        var forged = Desk.Show(subject)!.Events[1] with { To = "my garage" };
        using (var db = new SQLiteConnection(EdgeDatabase.PathIn(_server.DataDir)))
            db.Execute("UPDATE custody_events SET to_party = ?, hash = ? WHERE subject = ? AND idx = 1", forged.To, CustodyChain.HashOf(forged), subject);

        var problem = Assert.Single(Desk.Verify(subject).Problems);

        Assert.Equal((subject, 1L, CustodyProblemKind.Edited), (problem.Subject, problem.Index, problem.Kind));
    }

    [Fact]
    public async Task Api_records_for_a_site_user_and_refuses_devices_and_anonymous_callers()
    {
        var device = await ActiveDeviceAsync("SN-CUST-API");
        var body = JsonContent.Create(new { subject = "SN-CUST-API", from = "site", to = "courier", note = "RMA 12" });

        using var anonymous = await _server.Http.PostAsync("/api/v1/custody", body);
        using var asDevice = await _server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Post, "/api/v1/custody", device.DeviceSecret, body));
        using var wrongPassword = await _server.Http.SendAsync(AsSiteUser(HttpMethod.Post, "/api/v1/custody", "not it", body));
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], new[] { anonymous.StatusCode, asDevice.StatusCode, wrongPassword.StatusCode });
        Assert.Equal("application/problem+json", asDevice.Content.Headers.ContentType?.MediaType);
        Assert.Contains("device credential", await asDevice.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(Desk.Show(device.DeviceId)!.Events);

        using var recorded = await _server.Http.SendAsync(AsSiteUser(HttpMethod.Post, "/api/v1/custody", OperatorPassword, body));
        using var unknown = await _server.Http.SendAsync(AsSiteUser(HttpMethod.Post, "/api/v1/custody", OperatorPassword,
            JsonContent.Create(new { subject = "SN-NOBODY", from = "site", to = "courier" })));
        using var invalid = await _server.Http.SendAsync(AsSiteUser(HttpMethod.Post, "/api/v1/custody", OperatorPassword, JsonContent.Create(new { subject = "SN-CUST-API" })));
        using var shown = await _server.Http.SendAsync(AsSiteUser(HttpMethod.Get, $"/api/v1/devices/{device.DeviceId}/custody", OperatorPassword));

        Assert.Equal(HttpStatusCode.Created, recorded.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        using var chain = JsonDocument.Parse(await shown.Content.ReadAsStringAsync());
        var only = Assert.Single(chain.RootElement.GetProperty("events").EnumerateArray().ToList());
        Assert.Equal(("site-user:ann", "RMA 12"), (only.GetProperty("actor").GetString(), only.GetProperty("note").GetString()));
        Assert.Equal("Quarantined", chain.RootElement.GetProperty("state").GetString());
    }

    /// <summary>A device with a chain of <paramref name="count"/> hand-offs (site → courier → depot → courier...); its id.</summary>
    private async Task<string> ChainOfAsync(string serial, int count)
    {
        var device = await ActiveDeviceAsync(serial);
        string[] parties = ["site", "courier", "depot", "courier"];
        for (var i = 0; i < count; i++)
        {
            _server.Clock.Advance(TimeSpan.FromMinutes(5));
            Assert.NotNull((await RecordAsync(device.DeviceId, parties[i % 4], parties[(i + 1) % 4])).Value);
        }

        return device.DeviceId;
    }

    private static HttpRequestMessage AsSiteUser(HttpMethod method, string path, string password, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ann:" + password)));
        return request;
    }

    private MqttClientOptions MqttOptions(EnrollResponse device) =>
        _server.BrokerClient().WithClientId(device.DeviceId).WithCredentials(device.DeviceId, device.DeviceSecret).WithTimeout(TimeSpan.FromSeconds(10)).Build();

    private List<SiteChange> Outbox() =>
        _server.Get<EdgeStorage>().Read(db => db.Query<OutboxRow>("SELECT payload AS Payload FROM outbox ORDER BY sequence"))
            .Select(row => SiteChange.Parser.ParseFrom(row.Payload))
            .ToList();

    private sealed class OutboxRow
    {
        public byte[] Payload { get; set; } = [];
    }
}
