using System.Net.Http.Headers;
using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// Dangerous actions at the hub through <c>POST /api/v1/commands</c> and <c>/api/v1/approvals</c> on the real host: a
/// wipe and a bulk lock need a reason; a wipe of more devices than the threshold (1 here) waits for another person with
/// a role that may send it, whose approval queues it once; the request and the approval are in the tenant's trail.
/// </summary>
public sealed class DangerousActionApiTests : IAsyncLifetime
{
    private const string Password = "a long enough password";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private RunningHub _hub = null!;
    private string _site = "";

    public async Task InitializeAsync()
    {
        _hub = await RunningHub.StartAsync(
            builder => builder.Services.AddSingleton<TimeProvider>(_clock), map: null,
            "--Cloud:DangerousActions:WipeApprovalThreshold", "1", "--Cloud:DangerousActions:ApprovalMinutes", "30");
        _site = (await _hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon")).SiteId;
        await _hub.Store.Upstream.ApplyUpstreamAsync(_site, [Enrolled(1, "dev-1"), Enrolled(2, "dev-2")], _clock.GetUtcNow());
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static SiteChange Enrolled(ulong sequence, string deviceId) =>
        new() { Sequence = sequence, DeviceId = deviceId, AtUnixMs = 1000, Enrolled = new() { Serial = "SN-" + deviceId, Group = "pickers" } };

    private async Task<HttpClient> SignedInAsync(string user, string role)
    {
        await _hub.Store.Accounts.AddAccountAsync(TenantIds.Default, user, PasswordHash.Create(Password, 1_000), new HubGrant(role, []));
        var token = await _hub.Store.Accounts.IssueAccountTokenAsync(TenantIds.Default, user, _clock.GetUtcNow().AddHours(8));
        var client = new HttpClient { BaseAddress = _hub.Rest.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<int> CommandsAsync(string type) =>
        (await _hub.Store.Commands.ListCommandsAsync(TenantIds.Default, new Fleet.CommandQuery())).Commands.Count(c => string.Equals(c.Type, type, StringComparison.Ordinal));

    [Fact]
    public async Task A_wipe_and_a_bulk_lock_need_a_reason_and_a_wipe_under_the_threshold_goes_at_once()
    {
        // Act
        using var wipeNoReason = await _hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "dev-1", type = "wipe", reason = "  " });
        using var bulkLockNoReason = await _hub.Rest.PostAsJsonAsync("/api/v1/commands", new { group = "pickers", type = "lock" });
        using var singleLock = await _hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "dev-1", type = "lock" });
        using var oneWipe = await _hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "dev-1", type = "wipe", reason = "sold" });

        // Assert
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (wipeNoReason.StatusCode, bulkLockNoReason.StatusCode));
        Assert.Equal("is required for a wipe: it goes into the audit trail", (await wipeNoReason.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!["reason"]![0]!.GetValue<string>());
        Assert.NotNull((await bulkLockNoReason.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!["reason"]);
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (singleLock.StatusCode, oneWipe.StatusCode));
        Assert.Equal(1, await CommandsAsync("wipe"));
        var trail = (await _hub.App.Services.GetRequiredService<Audit.IHubAudit>().RecordsAsync(TenantIds.Default, null, null, null))!;
        Assert.Contains(trail, r => string.Equals(r.Action, AuditActions.CommandQueued, StringComparison.Ordinal) && r.Detail.EndsWith(": wipe sold", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Over_the_threshold_a_wipe_waits_for_another_person_whose_approval_queues_it_once()
    {
        // Arrange
        using var ana = await SignedInAsync("ana", HubRoles.Operator);
        using var olivia = await SignedInAsync("olivia", HubRoles.Operator);
        using var vera = await SignedInAsync("vera", HubRoles.Viewer);

        // Act
        using var requested = await ana.PostAsJsonAsync("/api/v1/commands", new { group = "pickers", type = "wipe", reason = "site closing" });
        var pending = (await requested.Content.ReadFromJsonAsync<JsonNode>())!;
        var id = pending["approvalId"]!.GetValue<string>();
        var listed = (await vera.GetFromJsonAsync<JsonArray>("/api/v1/approvals"))!;
        var wipesBefore = await CommandsAsync("wipe");
        using var self = await ana.PostAsync(new Uri($"/api/v1/approvals/{id}/approve", UriKind.Relative), null);
        using var viewer = await vera.PostAsync(new Uri($"/api/v1/approvals/{id}/approve", UriKind.Relative), null);
        using var approved = await olivia.PostAsync(new Uri($"/api/v1/approvals/{id}/approve", UriKind.Relative), null);
        using var again = await _hub.Rest.PostAsync(new Uri($"/api/v1/approvals/{id}/approve", UriKind.Relative), null);
        using var unknown = await olivia.PostAsync(new Uri("/api/v1/approvals/apr-nothing/approve", UriKind.Relative), null);

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        Assert.Equal((2, "Pending", "account:ana"), (pending["devices"]!.GetValue<int>(), pending["status"]!.GetValue<string>(), pending["requestedBy"]!.GetValue<string>()));
        Assert.Equal(id, Assert.Single(listed)!["approvalId"]!.GetValue<string>());
        Assert.Equal(0, wipesBefore);
        Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        Assert.Contains("a second person must approve it", (await self.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, viewer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal(2, (await approved.Content.ReadFromJsonAsync<JsonNode>())!["commandIds"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(DangerousActions.ApprovalProblemType, (await again.Content.ReadFromJsonAsync<JsonNode>())!["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(2, await CommandsAsync("wipe"));
        var trail = (await _hub.App.Services.GetRequiredService<Audit.IHubAudit>().RecordsAsync(TenantIds.Default, null, null, null))!;
        var request = Assert.Single(trail, r => string.Equals(r.Action, AuditActions.ApprovalRequested, StringComparison.Ordinal));
        Assert.Equal(("account:ana", id), (request.Actor, request.Subject));
        Assert.EndsWith("site closing", request.Detail, StringComparison.Ordinal);
        var grant = Assert.Single(trail, r => string.Equals(r.Action, AuditActions.ApprovalGranted, StringComparison.Ordinal));
        Assert.Equal(("account:olivia", id), (grant.Actor, grant.Subject));
    }

    [Fact]
    public async Task An_approval_after_the_window_is_refused_and_queues_nothing()
    {
        // Arrange
        using var olivia = await SignedInAsync("olivia", HubRoles.Operator);
        using var requested = await _hub.Rest.PostAsJsonAsync("/api/v1/commands", new { group = "pickers", type = "wipe", reason = "site closing" });
        var id = (await requested.Content.ReadFromJsonAsync<JsonNode>())!["approvalId"]!.GetValue<string>();

        // Act
        _clock.Advance(TimeSpan.FromMinutes(30));
        using var late = await olivia.PostAsync(new Uri($"/api/v1/approvals/{id}/approve", UriKind.Relative), null);
        var all = (await olivia.GetFromJsonAsync<JsonArray>("/api/v1/approvals?all=true"))!;

        // Assert
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("expired", (await late.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, await CommandsAsync("wipe"));
        Assert.Equal("Expired", Assert.Single(all)!["status"]!.GetValue<string>());
        Assert.Empty((await olivia.GetFromJsonAsync<JsonArray>("/api/v1/approvals"))!);
    }

    [Fact]
    public async Task The_console_lists_a_held_wipe_and_another_person_approves_it_there()
    {
        // Arrange: the request made with the API token; olivia (an operator) signed in to the console
        using var requested = await _hub.Rest.PostAsJsonAsync("/api/v1/commands", new { group = "pickers", type = "wipe", reason = "site closing" });
        var id = (await requested.Content.ReadFromJsonAsync<JsonNode>())!["approvalId"]!.GetValue<string>();
        using var olivia = await ConsoleSession.SignedInAsync(_hub, "olivia", grant: new HubGrant(HubRoles.Operator, []));

        // Act
        var page = await ConsoleSession.PageAsync(olivia, "/approvals");
        using var approved = await olivia.PostFormAsync("/approvals", $"/approvals/{id}/approve", []);
        using var again = await olivia.PostFormAsync("/approvals", $"/approvals/{id}/approve", []);

        // Assert
        Assert.Contains($"data-approval=\"{id}\" data-status=\"Pending\"", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, approved.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(2, await CommandsAsync("wipe"));
        var trail = (await _hub.App.Services.GetRequiredService<Audit.IHubAudit>().RecordsAsync(TenantIds.Default, null, null, null))!;
        Assert.Contains(trail, r => string.Equals(r.Action, AuditActions.ApprovalGranted, StringComparison.Ordinal) && string.Equals(r.Actor, "console:default:olivia", StringComparison.Ordinal));
    }
}
