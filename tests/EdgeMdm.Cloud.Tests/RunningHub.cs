using System.Net.Http.Headers;
using System.Net.Sockets;
using EdgeMdm.Cloud.Hosting;
using EdgeMdm.Cloud.Sites;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using EdgeMdm.Testing;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The real hub, built by <see cref="CloudHost.BuildAsync"/> from command-line arguments as Program.cs does, on
/// two free loopback ports with a SQLite database in a temp directory; plus a REST client holding an API token
/// and an h2c gRPC channel.
/// </summary>
internal sealed class RunningHub : IAsyncDisposable
{
    private RunningHub(WebApplication app, CapturingLoggerProvider logs, string directory, int restPort, int grpcPort)
    {
        App = app;
        Logs = logs;
        Directory = directory;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}", new GrpcChannelOptions { HttpHandler = new EncodingRecorder(RequestEncodings, ResponseEncodings) });
        Rest = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{restPort}") };
    }

    public string Directory { get; }

    /// <summary>Every line the hub logged at warning level or above.</summary>
    public CapturingLoggerProvider Logs { get; }

    /// <summary>The hub as built: its services and its route table.</summary>
    public WebApplication App { get; }

    public GrpcChannel Channel { get; }

    /// <summary>The <c>grpc-encoding</c> header of each gRPC response, in order ("identity" when absent).</summary>
    public List<string> ResponseEncodings { get; } = [];

    /// <summary>The <c>grpc-encoding</c> header of each gRPC request, in order ("identity" when absent).</summary>
    public List<string> RequestEncodings { get; } = [];

    /// <summary>REST client; <see cref="StartAsync"/> gives it a valid API token.</summary>
    public HttpClient Rest { get; }

    /// <summary>The hub's own stores, over the database it runs on.</summary>
    public HubStores Store => new(App.Services);

    /// <param name="settings">More command-line settings, e.g. <c>--max-package-bytes 1000</c>.</param>
    public static Task<RunningHub> StartAsync(params string[] settings) => StartAsync(configure: null, map: null, settings);

    /// <param name="configure">What the test changes on the builder (Kestrel's limits) before the hub reads its settings.</param>
    /// <param name="map">Endpoints the test adds to the hub's own.</param>
    /// <param name="settings">More command-line settings.</param>
    public static async Task<RunningHub> StartAsync(Action<WebApplicationBuilder>? configure, Action<WebApplication>? map, params string[] settings)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("edgemdm-hub-").FullName;
        // A port free when asked can be taken by another test process before Kestrel binds it: try fresh ones.
        for (var attempt = 1; ; attempt++)
        {
            var (restPort, grpcPort) = (FreePort(), FreePort());
            string[] args =
            [
                "--database", directory,
                "--rest-url", $"http://127.0.0.1:{restPort}",
                "--grpc-url", $"http://127.0.0.1:{grpcPort}",
                .. settings,
            ];
            var logs = new CapturingLoggerProvider();
            var app = await CloudHost.BuildAsync(args, builder =>
            {
                builder.Logging.SetMinimumLevel(LogLevel.Warning).AddProvider(logs);
                configure?.Invoke(builder);
            });
            map?.Invoke(app);
            try
            {
                await app.StartAsync();
            }
            catch (IOException exception) when (attempt < 5 && exception.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await app.DisposeAsync();
                continue;
            }

            return await SignedInAsync(new RunningHub(app, logs, directory, restPort, grpcPort));
        }
    }

    private static async Task<RunningHub> SignedInAsync(RunningHub hub)
    {
        var token = await hub.Store.AdminTokens.CreateApiTokenAsync(TenantIds.Default, "tests");
        hub.Rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return hub;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        Rest.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>A port free at the time of asking (Kestrel's port 0 would hide which endpoint got which).</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public SyncClient Sync(string? credential) => new(Channel.CreateCallInvoker(), credential);

    /// <summary>A new site of the default tenant, and a sync client that speaks as it.</summary>
    public async Task<(NewSite Site, SyncClient Sync)> AddSiteAsync(string name)
    {
        var site = await Store.Sites.AddSiteAsync(TenantIds.Default, name);
        return (site, Sync(site.Credential));
    }
}

/// <summary>The generated sync client (EdgeMdm.Contracts) with a site credential on every call.</summary>
internal sealed class SyncClient(CallInvoker invoker, string? credential)
{
    private readonly SiteSync.SiteSyncClient _client = new(invoker);

    private CallOptions Options(bool compressRequest = false)
    {
        var headers = new Metadata();
        if (credential is not null)
            headers.Add("authorization", $"Bearer {credential}");
        if (compressRequest)
            headers.Add("grpc-internal-encoding-request", "gzip"); // Grpc.Net.Client: compress what we send
        return new CallOptions(headers);
    }

    public AsyncUnaryCall<HelloReply> Hello(string siteId) =>
        _client.HelloAsync(new HelloRequest { SiteId = siteId, ApplianceVersion = "test" }, Options());

    public AsyncUnaryCall<HelloReply> Hello(HelloRequest request) => _client.HelloAsync(request, Options());

    /// <summary>Pushes each batch on one stream and returns the acknowledgement of each.</summary>
    public async Task<List<ulong>> PushAsync(IEnumerable<IEnumerable<SiteChange>> batches, bool compressRequest = false)
    {
        using var call = _client.Push(Options(compressRequest));
        var acks = new List<ulong>();
        foreach (var changes in batches)
        {
            await call.RequestStream.WriteAsync(new UpstreamBatch { Changes = { changes } });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "the hub ended the stream without an acknowledgement");
            acks.Add(call.ResponseStream.Current.AppliedThrough);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        return acks;
    }

    /// <summary>Opens a push stream and hands back the call, for a test that writes and reads batch by batch.</summary>
    public AsyncDuplexStreamingCall<UpstreamBatch, UpstreamAck> StartPush() => _client.Push(Options());

    /// <summary>Every chunk of the blob from <paramref name="offset"/> to its end, in order.</summary>
    public Task<List<BlobChunk>> FetchBlobAsync(string sha256, ulong offset = 0) => ReadToEndAsync(StartFetchBlob(sha256, offset));

    /// <summary>Starts a fetch and hands back the open call, for reading part of it and cutting it.</summary>
    public AsyncServerStreamingCall<BlobChunk> StartFetchBlob(string sha256, ulong offset = 0) =>
        _client.FetchBlob(new FetchBlobRequest { Sha256 = sha256, Offset = offset }, Options());

    public Task<List<DownstreamBatch>> PullAsync(ulong afterPosition, uint maxChanges = 0) =>
        ReadToEndAsync(_client.Pull(new PullRequest { AfterPosition = afterPosition, MaxChanges = maxChanges }, Options()));

    /// <summary>Every message of a server stream, in order; the call is disposed after its end.</summary>
    private static async Task<List<T>> ReadToEndAsync<T>(AsyncServerStreamingCall<T> call)
    {
        using (call)
            return await call.ResponseStream.ReadAllAsync().ToListAsync();
    }
}

/// <summary>Records the message encoding of each gRPC request and response, as sent on the wire.</summary>
internal sealed class EncodingRecorder(List<string> requests, List<string> responses) : DelegatingHandler(new SocketsHttpHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Record(requests, request.Headers);
        var response = await base.SendAsync(request, cancellationToken);
        Record(responses, response.Headers);
        return response;
    }

    private static void Record(List<string> encodings, System.Net.Http.Headers.HttpHeaders headers)
    {
        var encoding = headers.TryGetValues("grpc-encoding", out var values) ? string.Join(",", values) : "identity";
        lock (encodings)
            encodings.Add(encoding);
    }
}
