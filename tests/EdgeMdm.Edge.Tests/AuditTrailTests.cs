using System.Net;
using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Alerts;
using EdgeMdm.Testing;
using SQLite;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The site's audit trail as the operator meets it: changes made through the appliance's own interfaces are recorded
/// and go upstream, <c>edgemdm-edge audit verify|export</c> run in this process against the data directory of a running
/// appliance, and the table tampered with by SQL. The console is the process's: this runs in the console collection.
/// </summary>
[Collection(CustodyCliTests.Name)]
public sealed class AuditTrailTests : IAsyncLifetime
{
    private EdgeServer _server = null!;

    public async Task InitializeAsync() => _server = await EdgeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<(int Exit, string Out, string Err)> EdgeAsync(params string[] args) => OperatorCli.RunAsync(_server, args);

    /// <summary>A person's, the hub's and the appliance's changes: an enrollment, a state change, a command, a user from the feed.</summary>
    private async Task<string> MakeChangesAsync()
    {
        var device = await _server.EnrollAsync("SN-AUDIT-1");
        var moved = await _server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Active, "operator:ann", "on the floor", _server.Clock.GetUtcNow());
        Assert.NotNull(moved.Value);
        await _server.QueueCommandAsync(device.DeviceId, "lock");
        await HubCatalog.ApplyAsync(_server, new HubChange
        {
            Position = 1,
            AtUnixMs = 1_700_000_000_000,
            SiteUserUpserted = new SiteUserUpserted { UserName = "kim", Role = "supervisor", PasswordHash = PasswordHash.Create("kim's password", 1_000) },
        });
        return device.DeviceId;
    }

    private void Tamper(string sql)
    {
        using var db = new SQLiteConnection(EdgeDatabase.PathIn(_server.DataDir));
        db.Execute(sql);
    }

    [Fact]
    public async Task Changes_are_chained_sent_upstream_and_exported_by_period()
    {
        var deviceId = await MakeChangesAsync();

        var verified = await EdgeAsync("audit", "verify");
        var jsonl = await EdgeAsync("audit", "export", "--format", "jsonl", "--from", "2000-01-01");
        var none = await EdgeAsync("audit", "export", "--to", "2000-01-01");
        var badFormat = await EdgeAsync("audit", "export", "--format", "xml");

        var records = jsonl.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal((0, $"{records.Count} audit records, all verify\n"), (verified.Exit, verified.Out));
        Assert.Equal(
            [
                ("device SN-AUDIT-1", "device.state", deviceId), ("appliance", "device.state", deviceId), ("operator:ann", "device.state", deviceId),
                ("test", "command.queued", deviceId), ("hub", "user.changed", "kim"),
            ],
            records.Select(r => (r.GetProperty("actor").GetString(), r.GetProperty("action").GetString(), r.GetProperty("subject").GetString())));
        Assert.Equal(Enumerable.Range(0, records.Count).Select(i => (long)i), records.Select(r => r.GetProperty("index").GetInt64()));
        Assert.DoesNotContain("pbkdf2", jsonl.Out, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("chain,index,at,actor,action,subject,source,detail,previous_hash,hash\r\n", none.Out);
        Assert.Equal((2, "edgemdm-edge: --format 'xml' is neither csv nor jsonl\n"), (badFormat.Exit, badFormat.Err));
        var upstream = _server.Get<EdgeStorage>().Read(db => db.QueryScalars<byte[]>("SELECT payload FROM outbox ORDER BY sequence"))
            .Select(p => SiteChange.Parser.ParseFrom(p)).Where(c => c.ChangeCase == SiteChange.ChangeOneofCase.AuditRecorded).Select(c => c.AuditRecorded).ToList();
        Assert.Equal(records.Select(r => r.GetProperty("hash").GetString()), upstream.Select(u => u.Hash));
    }

    [Fact]
    public async Task Verify_names_an_edited_a_removed_and_a_reordered_record_and_exits_non_zero()
    {
        await MakeChangesAsync();

        Tamper("UPDATE audit_records SET actor = 'nobody' WHERE idx = 1");
        var edited = await EdgeAsync("audit", "verify");
        Tamper("DELETE FROM audit_records WHERE idx IN (1)");
        var removed = await EdgeAsync("audit", "verify");

        Assert.Equal(1, edited.Exit);
        Assert.Equal("site record 1: edited (its hash does not match its content)\n", edited.Out);
        Assert.StartsWith("edgemdm-edge: 1 problems in the audit trail of 5 records; first: site record 1: edited", edited.Err, StringComparison.Ordinal);
        Assert.Equal(1, removed.Exit);
        Assert.StartsWith("site record 1: removed", removed.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_names_records_whose_places_were_swapped()
    {
        await MakeChangesAsync();

        Tamper("UPDATE audit_records SET idx = -1 WHERE idx = 2");
        Tamper("UPDATE audit_records SET idx = 2 WHERE idx = 3");
        Tamper("UPDATE audit_records SET idx = 3 WHERE idx = -1");
        var verified = await EdgeAsync("audit", "verify");

        Assert.Equal(1, verified.Exit);
        Assert.Contains("site record 2: reordered", verified.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("record 0", verified.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_ins_failed_and_made_and_alert_acknowledgements_are_recorded_with_where_from()
    {
        await HubCatalog.ApplyAsync(_server, new HubChange
        {
            Position = 1,
            AtUnixMs = 1_700_000_000_000,
            SiteUserUpserted = new SiteUserUpserted { UserName = "kim", Role = "supervisor", PasswordHash = PasswordHash.Create("kim's password", 1_000) },
        });
        using var browser = new FormBrowser(_server.CreateClient);

        using var wrong = await browser.SignInAsync("kim", "guess");
        using var right = await browser.SignInAsync("kim", "kim's password");
        var alerts = _server.Get<IAlerts>();
        await _server.Get<EdgeStorage>().WriteAsync(unit =>
        {
            alerts.Raise(unit, "devices.missing", "SN-9", "SN-9 missed its shift", _server.Clock.GetUtcNow());
            return 0;
        });
        var refused = await alerts.AcknowledgeAsync(42, "supervisor:kim", "looking", _server.Clock.GetUtcNow());
        var acknowledged = await alerts.AcknowledgeAsync(alerts.Open().Single().Id, "supervisor:kim", "looking for it", _server.Clock.GetUtcNow());

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.NotNull(refused.Refusal);
        Assert.NotNull(acknowledged.Value);
        var trail = _server.Get<Audit.IAuditTrail>().Between(null, null);
        Assert.Equal(["user.changed", "sign-in.failed", "sign-in", "alert.acknowledged"], trail.Select(r => r.Action));
        Assert.All(trail.Skip(1).Take(2), r => Assert.Equal(("kim", "127.0.0.1"), (r.Subject, r.Source)));
        Assert.Equal(("supervisor:kim", "devices.missing SN-9", "looking for it"), (trail[3].Actor, trail[3].Subject, trail[3].Detail));
        Assert.True(_server.Get<Audit.IAuditTrail>().Verify().AllVerify);
    }
}
