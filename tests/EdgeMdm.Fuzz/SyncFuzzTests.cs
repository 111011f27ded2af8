using EdgeMdm.Cloud.Hosting;
using EdgeMdm.Cloud.Sites;
using EdgeMdm.Cloud.Tenants;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Edge.Tests;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Fuzz;

/// <summary>
/// Sync messages of every change type, every field filled with hostile values (<see cref="ProtobufInputs"/>): the
/// appliance applies the hub's feed or refuses it as a whole, and the hub answers a site's push with an
/// acknowledgement or a clear gRPC status (never Unknown or Internal, nothing logged as an error), and both go on
/// serving.
/// </summary>
public sealed class SyncFuzzTests
{
    private static readonly Gen<Choices[]> Batches = ProtobufInputs.AnyChoices.Array[1, 4];

    [Fact]
    public async Task Appliance_applies_or_refuses_every_feed_batch()
    {
        await using var server = await EdgeServer.StartAsync();
        var feed = server.Get<IFeedStore>();

        await Fuzzing.RunAsync(Batches, choices => ApplyAsync(feed, choices), shortPass: 300, print: Print, threads: 1);

        await server.CheckinOkAsync((await server.EnrollAsync("FZ-AFTER-FEED")).DeviceSecret, new CheckinRequest());
    }

    [Fact]
    public async Task Hub_acknowledges_or_refuses_every_upstream_batch_with_a_clear_status()
    {
        await using var hub = await Hub.StartAsync();
        var site = await hub.App.Services.GetRequiredService<ISiteRegistry>().AddSiteAsync(TenantIds.Default, "DC Fuzz");
        var client = new SiteSync.SiteSyncClient(hub.Channel);
        var headers = new Metadata { { "authorization", $"Bearer {site.Credential}" } };

        await Fuzzing.RunAsync(Batches, choices => PushAsync(client, headers, choices), shortPass: 200, print: Print, threads: 1);

        Assert.DoesNotContain(hub.Logs.Entries, e => e.Level >= LogLevel.Error);
        await client.HelloAsync(new HelloRequest { SiteId = site.SiteId, ApplianceVersion = "fuzz" }, headers);
    }

    /// <summary>
    /// One batch just past the feed's position, each change signed by the test hub's key as the hub's feed writer signs
    /// it (so the content reaches the handlers; the fuzzed key material may still make a change refused). A batch the
    /// appliance cannot read is refused whole (nothing applied); a change that does not verify stops the feed just
    /// before it; what it applies must leave the position moved.
    /// </summary>
    private static async Task ApplyAsync(IFeedStore feed, Choices[] choices)
    {
        var position = feed.FeedPosition;
        var changes = new List<HubChange>();
        foreach (var change in choices.Select(c => (HubChange)ProtobufInputs.Fill(HubChange.Descriptor, c)))
        {
            change.Position = ++position;
            changes.Add(HubCatalog.SignedBy(change, HubCatalog.FeedKey));
        }

        var before = feed.FeedPosition;
        try
        {
            await feed.ApplyDownstreamAsync(HubCatalog.AsGiven([.. changes]));
            Assert.Equal(position, feed.FeedPosition);
        }
        catch (InvalidDataException unreadable)
        {
            Assert.StartsWith("feed change ", unreadable.Message, StringComparison.Ordinal);
            Assert.Equal(before, feed.FeedPosition);
        }
        catch (FeedRefusedException refused)
        {
            Assert.Equal(refused.Position - 1, feed.FeedPosition);
        }
    }

    /// <summary>One batch whose sequences follow what the hub acknowledged, on a stream of its own.</summary>
    private static async Task PushAsync(SiteSync.SiteSyncClient client, Metadata headers, Choices[] choices)
    {
        using var call = client.Push(headers);
        try
        {
            var batch = new UpstreamBatch();
            var sequence = Applied;
            foreach (var change in choices.Select(c => (SiteChange)ProtobufInputs.Fill(SiteChange.Descriptor, c)))
            {
                change.Sequence = ++sequence;
                batch.Changes.Add(change);
            }

            await call.RequestStream.WriteAsync(batch);
            await call.RequestStream.CompleteAsync();
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
                Applied = call.ResponseStream.Current.AppliedThrough;
        }
        catch (RpcException refused)
        {
            Assert.True(
                refused.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange or StatusCode.ResourceExhausted,
                $"the hub answered {refused.StatusCode}: {refused.Status.Detail}");
            Assert.False(string.IsNullOrWhiteSpace(refused.Status.Detail));
        }
    }

    /// <summary>What the hub acknowledged so far (the test's one stream at a time reads and moves it).</summary>
    private static ulong Applied { get; set; }

    private static string Print(Choices[] choices) => string.Join(" | ", choices.Select(c => c.ToString()));

    /// <summary>The real hub on two free loopback ports over a SQLite database in a temp directory.</summary>
    private sealed class Hub : IAsyncDisposable
    {
        private readonly string _directory;

        private Hub(WebApplication app, CapturingLoggerProvider logs, string directory, int grpcPort)
        {
            App = app;
            Logs = logs;
            _directory = directory;
            Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        }

        public WebApplication App { get; }

        public CapturingLoggerProvider Logs { get; }

        public GrpcChannel Channel { get; }

        /// <summary>
        /// The fuzzer is one client pushing as fast as it can: the sync rate limits (tested in Cloud.Tests' SyncLimitTests)
        /// are lifted so that every batch reaches the parsers.
        /// </summary>
        public static async Task<Hub> StartAsync()
        {
            var directory = Directory.CreateTempSubdirectory("edgemdm-fuzz-hub-").FullName;
            var (restPort, grpcPort) = (FreePort(), FreePort());
            var logs = new CapturingLoggerProvider();
            var app = await CloudHost.BuildAsync(
                ["--database", directory, "--rest-url", $"http://127.0.0.1:{restPort}", "--grpc-url", $"http://127.0.0.1:{grpcPort}", "--Cloud:Limits:SyncCallsPerSecondPerSite=0", "--Cloud:Limits:SyncCallsPerSecondPerAddress=0"],
                builder => builder.Logging.SetMinimumLevel(LogLevel.Warning).AddProvider(logs));
            await app.StartAsync();
            return new Hub(app, logs, directory, grpcPort);
        }

        public async ValueTask DisposeAsync()
        {
            Channel.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
            Directory.Delete(_directory, recursive: true);
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
