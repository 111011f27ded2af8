using System.Net.Http.Headers;
using EdgeMdm.Edge.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The real appliance host (Kestrel on a free loopback port, a temp SQLite directory, the test seed) with a
/// fake clock the test moves. It serves https with its site certificate, as a site does, and <see cref="Http"/> and
/// <see cref="CreateClient"/> trust exactly that certificate's key (<see cref="Pin"/>), as a device does. A test of plain
/// HTTP passes its own <c>--urls</c>. Disposing stops it and deletes the directory.
/// </summary>
public sealed class EdgeServer : IAsyncDisposable
{
    public const string Token = "test-pickers-token-0001";
    public static readonly string SeedPath = Path.Combine(AppContext.BaseDirectory, "testdata", "site-seed.yaml");

    private readonly WebApplication _app;

    private EdgeServer(WebApplication app, string dataDir, FakeTimeProvider clock, CapturingLoggerProvider logs)
    {
        _app = app;
        Logs = logs;
        DataDir = dataDir;
        Clock = clock;
        // The https address when there is one (beside it plain HTTP only redirects), else the first.
        BaseAddress = new Uri(app.Urls.FirstOrDefault(url => url.StartsWith("https://", StringComparison.Ordinal)) ?? app.Urls.First());
        Pin = string.Equals(BaseAddress.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal)
            ? Discovery.ServiceAdvertisement.ServedPin(app.Configuration, () => app.Services.GetRequiredService<SiteTls.SiteCertificates>().Pin)
            : null;
        Http = CreateClient();
    }

    /// <summary>Where the device API answers: its https URL, unless the test serves plain HTTP alone.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The pin of the certificate https is served with (as <c>tls show</c> prints it); null on plain HTTP.</summary>
    public string? Pin { get; }

    /// <summary>A new client for the device API, pinned to the served certificate as the agent is; the caller disposes it.</summary>
    public HttpClient CreateClient(SocketsHttpHandler? handler = null)
    {
        handler ??= new SocketsHttpHandler();
        if (Pin is { } pin)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => EdgeMdm.Discovery.Service.TlsPin.Matches(certificate, pin);
        return new HttpClient(handler) { BaseAddress = BaseAddress };
    }

    public string DataDir { get; }

    public FakeTimeProvider Clock { get; }

    /// <summary>Every log line the appliance wrote, as an operator would read them.</summary>
    public CapturingLoggerProvider Logs { get; }

    /// <summary>The built host, for what only the host knows (its endpoints).</summary>
    internal WebApplication App => _app;

    public HttpClient Http { get; }

    /// <summary>A service of the running appliance (a feature's store, as the host wired it).</summary>
    public T Get<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    public BlobCache Cache => _app.Services.GetRequiredService<BlobCache>();

    /// <summary>The embedded broker; only when started with <c>--mqtt-listen</c>.</summary>
    internal Mqtt.EmbeddedMqttBroker Broker => _app.Services.GetRequiredService<Mqtt.EmbeddedMqttBroker>();

    /// <summary>How download bytes left: sent by the kernel from the file, or copied through the process.</summary>
    internal DownloadCounters Downloads => _app.Services.GetRequiredService<DownloadCounters>();

    public Mqtt.MqttCounters MqttCounters => _app.Services.GetRequiredService<Mqtt.MqttCounters>();

    /// <summary>The pin of the site server certificate (hex SHA-256 of its key), as a device holds it.</summary>
    public string TlsPin => _app.Services.GetRequiredService<SiteTls.SiteCertificates>().Pin;

    /// <summary>
    /// Client options for the embedded broker's first listener (the TLS one unless only a plain one was asked for), with
    /// the site's key pinned the way a device pins it: no check is turned off.
    /// </summary>
    internal MQTTnet.MqttClientOptionsBuilder BrokerClient()
    {
        var (endpoint, tls) = Broker.Listeners[0];
        var builder = new MQTTnet.MqttClientOptionsBuilder().WithTcpServer(endpoint.Address.ToString(), endpoint.Port);
        var pin = TlsPin;
        return tls
            ? builder.WithTlsOptions(o => o.UseTls().WithCertificateValidationHandler(handshake => EdgeMdm.Discovery.Service.TlsPin.Matches(handshake.Certificate, pin)))
            : builder;
    }

    public static Task<EdgeServer> StartAsync(params string[] extraArgs) => StartWithAsync(null, extraArgs);

    /// <summary>The appliance with <paramref name="services"/> applied after its own registrations (a test's decorators).</summary>
    public static Task<EdgeServer> StartWithAsync(Action<IServiceCollection>? services, params string[] extraArgs) =>
        StartInAsync(NewDataDirectory(), services, ["--seed", SeedPath, .. extraArgs]);

    /// <summary>A fresh data directory's path (not made yet), for a test that starts more than one appliance over it.</summary>
    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "edgemdm-test-" + Guid.NewGuid().ToString("N"));

    /// <summary>
    /// The appliance serving <paramref name="dataDir"/> as it finds it (a database an older version left, a restored
    /// backup), with no seed unless <paramref name="extraArgs"/> names one. Disposing deletes the directory.
    /// </summary>
    public static async Task<EdgeServer> StartInAsync(string dataDir, Action<IServiceCollection>? services, params string[] extraArgs)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero));
        string[] args = ["--urls", "https://127.0.0.1:0", "--data-dir", dataDir, "--checkin-interval", "30", .. extraArgs];
        var logs = new CapturingLoggerProvider();
        var app = EdgeHost.Build(args, builder =>
        {
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Logging.AddProvider(logs);
            services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        await TrustTestHubAsync(app.Services.GetRequiredService<EdgeStorage>());
        return new EdgeServer(app, dataDir, clock, logs);
    }

    public async Task<EnrollResponse> EnrollAsync(string serial, string token = Token)
    {
        using var response = await Http.PostAsJsonAsync("/api/v1/enroll", Enrollment(serial, token), DeviceProtocolJson.Default.EnrollRequest);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.EnrollResponse))!;
    }

    public static EnrollRequest Enrollment(string serial, string token = Token) => new()
    {
        EnrollmentToken = token,
        Serial = serial,
        Model = "TC52",
        Manufacturer = "Zebra",
        OsVersion = "14",
        AgentVersion = "1.0.0",
    };

    public Task<HttpResponseMessage> CheckinAsync(string secret, CheckinRequest request) =>
        Http.SendAsync(Authorized(HttpMethod.Post, "/api/v1/checkin", secret, JsonContent.Create(request, DeviceProtocolJson.Default.CheckinRequest)));

    public async Task<CheckinResponse> CheckinOkAsync(string secret, CheckinRequest request)
    {
        using var response = await CheckinAsync(secret, request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.CheckinResponse))!;
    }

    /// <summary>The declarations the appliance serves this device; a 200 whose ETag is the declarations token.</summary>
    public async Task<DeclarationsDocument> DeclarationsAsync(string secret)
    {
        using var response = await Http.SendAsync(Authorized(HttpMethod.Get, "/api/v1/declarations", secret));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var document = (await response.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.DeclarationsDocument))!;
        Assert.Equal($"\"{document.Token}\"", response.Headers.ETag?.Tag);
        return document;
    }

    /// <summary>Parameters of a command that takes none.</summary>
    public static readonly IReadOnlyDictionary<string, string> NoParameters = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Queues a command for the device as the operator "test" at the test clock's now; the test fails if it is refused.</summary>
    public async Task<CommandSummary> QueueCommandAsync(string deviceId, string type, DateTimeOffset? expiresAt = null)
    {
        var queued = await Get<ICommandStore>().QueueCommandAsync(deviceId, type, NoParameters, expiresAt, "test", Clock.GetUtcNow());
        Assert.NotNull(queued.Value);
        return queued.Value;
    }

    /// <summary>The status of the device's one command.</summary>
    public string StatusOfOnlyCommand(string deviceId) => Assert.Single(Get<ICommandStore>().ListCommands(deviceId)).Status;

    public static HttpRequestMessage Authorized(HttpMethod method, string path, string secret, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A straggling SQLite handle on a slow CI disk; the temp directory is cleaned by the OS.
        }
    }

    /// <summary>What the anchor at the head of a real site's feed does: the test hub's feed key becomes the trusted one.</summary>
    private static Task<int> TrustTestHubAsync(EdgeStorage storage) =>
        storage.WriteAsync(unit => unit.Db.Execute(
            "INSERT INTO hub_keys (key_id, public_key_pem, trusted_at) VALUES (?, ?, 0) ON CONFLICT DO NOTHING", HubCatalog.FeedKey.KeyId, HubCatalog.FeedKey.PublicKeyPem));
}
