using EdgeMdm.Domain.Audit;
using Grpc.Core;
using SQLite;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The hub's audit trail through the running hub: its own chain filled by real REST calls and sign-ins, a site's chain
/// pushed over the real sync, both exported and verified over REST, and the SQLite file tampered with by SQL.
/// </summary>
public sealed class AuditApiTests : HubPerTest
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);

    /// <summary>A site's audit log as its appliance writes it: <paramref name="count"/> chained records, from sequence 1.</summary>
    private static List<SiteChange> SiteLog(int count)
    {
        var log = new List<SiteChange>();
        AuditRecord? previous = null;
        for (var i = 0; i < count; i++)
        {
            previous = AuditChain.Next("site", previous, new AuditEntry("supervisor:kim", AuditActions.CommandQueued, $"dev-{i}", "10.1.1.7", "lock"), At.AddMinutes(i));
            log.Add(new SiteChange
            {
                Sequence = (ulong)i + 1,
                AtUnixMs = previous.At.ToUnixTimeMilliseconds(),
                AuditRecorded = new AuditRecorded
                {
                    Index = (ulong)previous.Index, AtUnixMs = previous.At.ToUnixTimeMilliseconds(), Actor = previous.Actor, Action = previous.Action,
                    Subject = previous.Subject, Source = previous.Source, Detail = previous.Detail, PreviousHash = previous.PreviousHash, Hash = previous.Hash,
                },
            });
        }

        return log;
    }

    private void Tamper(string sql, params object[] args)
    {
        using var db = new SQLiteConnection(Path.Combine(Hub.Directory, "cloud.db"));
        db.Execute(sql, args);
    }

    [Fact]
    public async Task A_sites_records_are_stored_once_exported_and_a_tampered_one_is_named()
    {
        var (site, sync) = await Hub.AddSiteAsync("DC Audit");
        var log = SiteLog(4);

        Assert.Equal([4UL, 4UL], await sync.PushAsync([log, log]));
        var jsonl = await Hub.Rest.GetStringAsync($"/api/v1/audit?site={site.SiteId}&format=jsonl&from=2026-12-07");
        var before = JsonNode.Parse(await Hub.Rest.GetStringAsync($"/api/v1/audit/verify?site={site.SiteId}"))!;
        Tamper("UPDATE audit_records SET detail = 'wipe' WHERE chain = ? AND idx = 2", "site:" + site.SiteId);
        var edited = JsonNode.Parse(await Hub.Rest.GetStringAsync($"/api/v1/audit/verify?site={site.SiteId}"))!;
        Tamper("DELETE FROM audit_records WHERE chain = ? AND idx = 3", "site:" + site.SiteId);
        var removed = JsonNode.Parse(await Hub.Rest.GetStringAsync($"/api/v1/audit/verify?site={site.SiteId}"))!;
        using var unknownSite = await Hub.Rest.GetAsync("/api/v1/audit/verify?site=no-such-site");
        using var badFormat = await Hub.Rest.GetAsync("/api/v1/audit?format=xml");

        var lines = jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["dev-0", "dev-1", "dev-2", "dev-3"], lines.Select(l => (string)l["subject"]!));
        Assert.Equal((string)lines[0]["hash"]!, (string)lines[1]["previous_hash"]!);
        Assert.Equal((1, 4, true), ((int)before["chains"]!, (int)before["records"]!, (bool)before["allVerify"]!));
        Assert.False((bool)edited["allVerify"]!);
        Assert.Equal([$"site:{site.SiteId} record 2: edited (its hash does not match its content)"], edited["problems"]!.AsArray().Select(p => (string)p!["text"]!));
        Assert.Contains(removed["problems"]!.AsArray(), p => (int)p!["index"]! == 3 && string.Equals((string)p["kind"]!, "removed", StringComparison.Ordinal));
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.BadRequest), (unknownSite.StatusCode, badFormat.StatusCode));
    }

    [Fact]
    public async Task A_malformed_audit_record_is_refused_whole()
    {
        var (_, sync) = await Hub.AddSiteAsync("DC Audit");
        var log = SiteLog(2);
        log[1].AuditRecorded.Hash = "not-a-hash";

        var refused = await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([log]));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("audit_recorded.hash", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hubs_own_changes_and_sign_ins_are_chained_per_tenant_and_a_removed_record_is_named()
    {
        using var created = await Hub.Rest.PostAsJsonAsync("/api/v1/sites", new { name = "DC North" });
        using var account = await Hub.Rest.PostAsJsonAsync("/api/v1/accounts", new { userName = "alice", password = "correct horse battery staple" });
        using var anonymous = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        using var wrong = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = "alice", password = "guess" });
        using var right = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = "alice", password = "correct horse battery staple" });
        using var refusedChange = await Hub.Rest.PostAsJsonAsync("/api/v1/accounts", new { userName = "alice" });

        var csv = await Hub.Rest.GetStringAsync("/api/v1/audit?format=csv");
        var verified = JsonNode.Parse(await Hub.Rest.GetStringAsync("/api/v1/audit/verify"))!;
        Tamper("DELETE FROM audit_records WHERE chain = 'tenant:default' AND idx = 1");
        var removed = JsonNode.Parse(await Hub.Rest.GetStringAsync("/api/v1/audit/verify"))!;

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (created.StatusCode, account.StatusCode));
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Created, HttpStatusCode.Conflict), (wrong.StatusCode, right.StatusCode, refusedChange.StatusCode));
        var rows = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(r => r.Split(',')).ToList();
        Assert.Equal(
            [("token:tests", "site.added"), ("token:tests", "account.changed"), ("alice", "sign-in.failed"), ("account:alice", "sign-in")],
            rows.Select(r => (r[3], r[4])));
        Assert.All(rows, r => Assert.Equal("tenant:default", r[0]));
        Assert.Equal("127.0.0.1", rows[2][6]);
        Assert.DoesNotContain("correct horse", csv, StringComparison.Ordinal);
        Assert.True((bool)verified["allVerify"]!);
        Assert.Equal(["tenant:default record 1: removed"], removed["problems"]!.AsArray().Select(p => ((string)p!["text"]!).Split(" (")[0]));
    }
}
