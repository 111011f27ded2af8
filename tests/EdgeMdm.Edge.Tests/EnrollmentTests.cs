using System.Text;
using System.Text.Json;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Lifecycle;

namespace EdgeMdm.Edge.Tests;

public sealed class EnrollmentTests
{
    [Fact]
    public async Task Healthz_answers_200_once_serving()
    {
        await using var server = await EdgeServer.StartAsync();
        using var response = await server.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Enroll_returns_201_with_credentials_and_keeps_only_the_secret_hash()
    {
        await using var server = await EdgeServer.StartAsync();

        var enrolled = await server.EnrollAsync("SN-0001");

        Assert.StartsWith("dev-", enrolled.DeviceId, StringComparison.Ordinal);
        Assert.Equal("pickers", enrolled.Group);
        Assert.Equal("dc-demo-01", enrolled.SiteId);
        Assert.Equal(30, enrolled.CheckinIntervalSeconds);
        Assert.False(enrolled.Reenrolled);
        var database = await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "edge.db"));
        var wal = File.Exists(Path.Combine(server.DataDir, "edge.db-wal")) ? await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "edge.db-wal")) : [];
        var secret = Encoding.UTF8.GetBytes(enrolled.DeviceSecret);
        Assert.Equal(-1, database.AsSpan().IndexOf(secret));
        Assert.Equal(-1, wal.AsSpan().IndexOf(secret));
        var detail = server.Get<IDeviceQueries>().Device("SN-0001")!;
        Assert.Equal(DeviceState.Staging, detail.Device.State);
        Assert.Equal([DeviceState.Enrolling, DeviceState.Staging], detail.History.Select(h => h.To));
    }

    [Fact]
    public async Task Reenrolling_a_known_serial_keeps_its_history_and_rotates_the_secret()
    {
        await using var server = await EdgeServer.StartAsync();
        var first = await server.EnrollAsync("SN-WIPED");
        await server.CheckinOkAsync(first.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Battery = new BatteryStatus { Level = 40 } } });

        var second = await server.EnrollAsync("SN-WIPED");

        Assert.Equal(first.DeviceId, second.DeviceId);
        Assert.True(second.Reenrolled);
        Assert.NotEqual(first.DeviceSecret, second.DeviceSecret);
        using var oldSecret = await server.CheckinAsync(first.DeviceSecret, new CheckinRequest());
        Assert.Equal(HttpStatusCode.Unauthorized, oldSecret.StatusCode);
        // Authentication remembers secrets it has seen; the re-enrollment made it forget the one it replaced.
        var known = server.Get<Devices.KnownSecrets>();
        Assert.Null(known.DeviceOf(CanonicalHash.Sha256Hex(first.DeviceSecret)));
        Assert.Equal(first.DeviceId, known.DeviceOf(CanonicalHash.Sha256Hex(second.DeviceSecret)));
        await server.CheckinOkAsync(second.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Os = new OsStatus { Version = "14" } } });
        var detail = server.Get<IDeviceQueries>().Device(first.DeviceId)!;
        Assert.Equal(2, detail.Enrollments);
        // The wiped device starts from an empty status: nothing of what it reported before the wipe comes back.
        Assert.Null(server.Get<IDeviceQueries>().ListDevices().Single().BatteryLevel);
        Assert.Equal("14", server.Get<IDeviceQueries>().ListDevices().Single().OsVersion);
        Assert.Equal([DeviceState.Enrolling, DeviceState.Staging, DeviceState.Enrolling, DeviceState.Staging], detail.History.Select(h => h.To));
    }

    [Fact]
    public async Task Expired_token_is_refused_with_403_and_the_reason()
    {
        await using var server = await EdgeServer.StartAsync();
        var token = await server.Get<ITokenStore>().CreateTokenAsync("pickers", 5, server.Clock.GetUtcNow().AddHours(1), "test", server.Clock.GetUtcNow());
        server.Clock.Advance(TimeSpan.FromHours(2));

        var problem = await ProblemAsync(await server.Http.PostAsJsonAsync("/api/v1/enroll", EdgeServer.Enrollment("SN-LATE", token.Token), DeviceProtocolJson.Default.EnrollRequest), HttpStatusCode.Forbidden);

        Assert.Contains("expired", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(server.Get<IDeviceQueries>().ListDevices());
    }

    [Fact]
    public async Task Used_up_token_is_refused_with_403_and_nothing_is_written()
    {
        await using var server = await EdgeServer.StartAsync();
        var now = server.Clock.GetUtcNow();
        var token = await server.Get<ITokenStore>().CreateTokenAsync("pickers", 1, now.AddHours(8), "test", now);
        await server.EnrollAsync("SN-FIRST", token.Token);

        var problem = await ProblemAsync(await server.Http.PostAsJsonAsync("/api/v1/enroll", EdgeServer.Enrollment("SN-SECOND", token.Token), DeviceProtocolJson.Default.EnrollRequest), HttpStatusCode.Forbidden);

        Assert.Contains("used 1 of 1", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(["SN-FIRST"], server.Get<IDeviceQueries>().ListDevices().Select(d => d.Serial));
    }

    [Fact]
    public async Task Unknown_token_is_refused_with_403()
    {
        await using var server = await EdgeServer.StartAsync();
        await ProblemAsync(await server.Http.PostAsJsonAsync("/api/v1/enroll", EdgeServer.Enrollment("SN-X", "no-such-token-000000"), DeviceProtocolJson.Default.EnrollRequest), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Token_uses_are_never_exceeded_under_concurrent_enrollments()
    {
        await using var server = await EdgeServer.StartAsync();
        var now = server.Clock.GetUtcNow();
        var token = await server.Get<ITokenStore>().CreateTokenAsync("pickers", 10, now.AddHours(8), "test", now);

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            server.Http.PostAsJsonAsync("/api/v1/enroll", EdgeServer.Enrollment($"SN-RACE-{i}", token.Token), DeviceProtocolJson.Default.EnrollRequest)));

        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(30, responses.Count(r => r.StatusCode == HttpStatusCode.Forbidden));
        Assert.Equal(10, server.Get<IDeviceQueries>().ListDevices().Count);
        Assert.Equal(10, server.Get<ITokenStore>().ListTokens().Single(t => string.Equals(t.Prefix, token.Token[..8], StringComparison.Ordinal)).UsesCount);
    }

    [Fact]
    public async Task Retired_device_cannot_enroll_again()
    {
        await using var server = await EdgeServer.StartAsync();
        var enrolled = await server.EnrollAsync("SN-OLD");
        var now = server.Clock.GetUtcNow();
        foreach (var state in new[] { DeviceState.Active, DeviceState.InRepair, DeviceState.Retired })
        {
            if (state == DeviceState.Active)
                await server.Get<IDeviceAdmin>().TransitionAsync(enrolled.DeviceId, DeviceState.Active, "test", "staged by hand", now);
            else
                await server.Get<IDeviceAdmin>().TransitionAsync(enrolled.DeviceId, state, "test", "end of life", now);
        }

        var problem = await ProblemAsync(await server.Http.PostAsJsonAsync("/api/v1/enroll", EdgeServer.Enrollment("SN-OLD"), DeviceProtocolJson.Default.EnrollRequest), HttpStatusCode.Forbidden);

        Assert.Contains("Retired", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    internal static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            Assert.Equal(expected, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var root = document.RootElement.Clone();
            Assert.Equal((int)expected, root.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(root.GetProperty("title").GetString()));
            return root;
        }
    }
}
