using System.Net;
using System.Net.Sockets;
using EdgeMdm.Contracts.Sync;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeMdm.Bench;

/// <summary>
/// One simulated site of the fan-in scenario: a light client that speaks the real sync protocol (sync.proto, ADR 0001)
/// as the appliance's sync worker does — Hello, the feed pulled when it moved, then the outbox pushed in batches of at
/// most 200 on one Push stream, each batch's rows dropped only once acknowledged — with its own credential. A site is
/// its own machine: it gets its own <see cref="GrpcChannel"/>, its own HTTP/2 connection and its own loopback source
/// address (127.1.x.y), so the hub sees 1,000 peers as it would, its per-address limit included. What it pushes is a
/// trickle of device changes (see <see cref="Generate"/>), numbered without gaps, and it keeps what the hub has not
/// acknowledged, so that at the end the hub must hold each change exactly once.
/// </summary>
internal sealed class FaninSite : IDisposable
{
    /// <summary>Devices of each site; status changes go round them, so no two of one device fall into one round (no coalescing).</summary>
    public const int Devices = 25;

    /// <summary>The appliance's <c>SyncWorker.BatchSize</c>.</summary>
    private const int BatchSize = 200;

    /// <summary>One change in this many is a lifecycle transition (an event, one row per change at the hub); the rest are statuses.</summary>
    private const int TransitionEvery = 5;

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    // As the appliance's HubChannel: asks the hub to accept gzip-compressed requests.
    private static readonly Metadata.Entry CompressRequests = new("grpc-internal-encoding-request", "gzip");

    private readonly GrpcChannel _channel;
    private readonly SiteSync.SiteSyncClient _client;
    private readonly Metadata _headers;
    private readonly List<SiteChange> _unacknowledged = [];
    private readonly string[] _states = new string[Devices];
    private readonly long[] _lastCheckin = new long[Devices];
    private ulong _feedPosition;
    private long _lastAt;

    /// <param name="pin">For an https <paramref name="hub"/>: the only certificate (SubjectPublicKeyInfo SHA-256) the site accepts.</param>
    public FaninSite(int index, string siteId, string credential, Uri hub, string? pin)
    {
        Index = index;
        SiteId = siteId;
        Source = SourceAddress(index);
        _channel = GrpcChannel.ForAddress(hub, new GrpcChannelOptions { HttpHandler = Handler(Source, pin), MaxReceiveMessageSize = 8 * 1024 * 1024 });
        _client = new SiteSync.SiteSyncClient(_channel);
        _headers = new Metadata { { "authorization", "Bearer " + credential }, CompressRequests };
    }

    public int Index { get; }

    public string SiteId { get; }

    public IPAddress Source { get; }

    /// <summary>The highest sequence this site has numbered.</summary>
    public ulong ProducedThrough { get; private set; }

    /// <summary>The highest sequence the hub has acknowledged.</summary>
    public ulong AcknowledgedThrough { get; private set; }

    /// <summary>Transitions numbered (each must be one row of the hub's <c>transitions</c>).</summary>
    public int TransitionsProduced { get; private set; }

    /// <summary>The newest <c>last_checkin</c> this site reported for each of its devices (device id <c>SITE-dNN</c>).</summary>
    public IReadOnlyList<long> LastCheckins => _lastCheckin;

    public static string DeviceId(string siteId, int device) => $"{siteId}-d{device.ToString("D2", CultureInfo.InvariantCulture)}";

    /// <summary>127.1.x.y: a loopback address of its own for each site (any of 127/8 reaches the hub's 127.0.0.1 on Linux).</summary>
    public static IPAddress SourceAddress(int index) => new([127, 1, (byte)(index / 250), (byte)((index % 250) + 1)]);

    /// <summary>The site's devices enrolled: the first changes of its log.</summary>
    public void Enroll(long atUnixMs)
    {
        for (var d = 0; d < Devices; d++)
        {
            _states[d] = "Enrolling";
            Append(new SiteChange
            {
                AtUnixMs = atUnixMs,
                DeviceId = DeviceId(SiteId, d),
                Enrolled = new DeviceEnrolled { Serial = $"FI{Index:D5}{d:D2}", Model = "TC58", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1.4.0", Group = "pickers" },
            });
        }
    }

    /// <summary>
    /// Numbers <paramref name="count"/> new changes, as a floor makes them: device statuses (battery and Wi-Fi moving) round
    /// the site's devices, and every fifth change a lifecycle transition (Active ⇄ Quarantined, as drift comes and goes).
    /// </summary>
    public void Generate(int count, long atUnixMs)
    {
        for (var i = 0; i < count; i++)
        {
            var next = ProducedThrough + 1;
            var device = (int)(next % Devices);
            // Distinct times: the hub tells a replayed transition from a new one by its time among other things.
            var at = Math.Max(atUnixMs, _lastAt + 1);
            _lastAt = at;
            if (next % TransitionEvery == 0)
                Append(Transition(device, at));
            else
                Append(Status(device, at, next));
        }
    }

    /// <summary>
    /// One sync round, as the appliance's: Hello (where the hub stands; what it holds is dropped here), the feed when it
    /// moved, then everything unacknowledged pushed; <paramref name="batchAnswered"/> hears when each batch was sent and how
    /// long its acknowledgement took (Stopwatch ticks). Returns when the last batch was acknowledged; throws on any failure,
    /// after which the next round resumes from Hello.
    /// </summary>
    public async Task RoundAsync(Action<long, long>? batchAnswered, CancellationToken cancellationToken)
    {
        var hello = await _client.HelloAsync(Hello(), _headers, Deadline(), cancellationToken);
        Acknowledge(hello.AppliedThrough);
        if (hello.FeedHead > _feedPosition)
            await PullAsync(cancellationToken);
        if (_unacknowledged.Count == 0)
            return;
        using var call = _client.Push(_headers, Deadline(), cancellationToken);
        var offset = 0;
        while (offset < _unacknowledged.Count)
        {
            var batch = new UpstreamBatch();
            batch.Changes.AddRange(_unacknowledged.Skip(offset).Take(BatchSize));
            offset += batch.Changes.Count;
            var sent = Stopwatch.GetTimestamp();
            await call.RequestStream.WriteAsync(batch, cancellationToken);
            if (!await call.ResponseStream.MoveNext(cancellationToken))
                throw new RpcException(new Status(StatusCode.Unavailable, "the hub closed the push stream before acknowledging"));
            batchAnswered?.Invoke(sent, Stopwatch.GetTimestamp() - sent);
            var applied = call.ResponseStream.Current.AppliedThrough;
            offset -= Acknowledge(applied);
            if (applied < batch.Changes[^1].Sequence)
                throw new RpcException(new Status(StatusCode.DataLoss, $"the hub acknowledged {applied} after a batch through {batch.Changes[^1].Sequence}"));
        }

        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext(cancellationToken))
            Acknowledge(call.ResponseStream.Current.AppliedThrough);
    }

    public void Dispose() => _channel.Dispose();

    private async Task PullAsync(CancellationToken cancellationToken)
    {
        // The feed is read as the appliance reads it; the light client keeps only its position (it serves no devices).
        using var call = _client.Pull(new PullRequest { AfterPosition = _feedPosition, MaxChanges = BatchSize }, _headers, Deadline(), cancellationToken);
        await foreach (var batch in call.ResponseStream.ReadAllAsync(cancellationToken))
            _feedPosition = batch.ThroughPosition;
    }

    /// <summary>Drops what the hub holds; how many rows that was.</summary>
    private int Acknowledge(ulong appliedThrough)
    {
        if (appliedThrough > ProducedThrough)
            throw new RpcException(new Status(StatusCode.DataLoss, $"the hub holds {appliedThrough}, past the {ProducedThrough} this site numbered"));
        AcknowledgedThrough = Math.Max(AcknowledgedThrough, appliedThrough);
        var held = _unacknowledged.FindIndex(c => c.Sequence > AcknowledgedThrough);
        var count = held < 0 ? _unacknowledged.Count : held;
        _unacknowledged.RemoveRange(0, count);
        return count;
    }

    private HelloRequest Hello() => new()
    {
        SiteId = SiteId,
        ApplianceVersion = "fanin-bench",
        OutboxDepth = (ulong)_unacknowledged.Count,
        OldestPendingUnixMs = _unacknowledged.Count > 0 ? _unacknowledged[0].AtUnixMs : 0,
        UplinkState = "Connected",
        OutboxHead = ProducedThrough,
    };

    private void Append(SiteChange change)
    {
        change.Sequence = ++ProducedThrough;
        _unacknowledged.Add(change);
    }

    private SiteChange Transition(int device, long at)
    {
        var from = _states[device];
        var to = string.Equals(from, "Active", StringComparison.Ordinal) ? "Quarantined" : "Active";
        _states[device] = to;
        TransitionsProduced++;
        return new SiteChange
        {
            AtUnixMs = at,
            DeviceId = DeviceId(SiteId, device),
            Transitioned = new DeviceTransitioned { FromState = from, ToState = to, Actor = "appliance", Reason = string.Equals(to, "Active", StringComparison.Ordinal) ? "drift resolved" : "critical drift" },
        };
    }

    private SiteChange Status(int device, long at, ulong sequence)
    {
        _lastCheckin[device] = at;
        var battery = 100 - (int)(sequence % 80);
        var rssi = -40 - (int)(sequence % 40);
        return new SiteChange
        {
            AtUnixMs = at,
            DeviceId = DeviceId(SiteId, device),
            Status = new StatusReported
            {
                StatusJson = Invariant($$"""{"battery":{"level":{{battery}},"healthPercent":91,"cycleCount":412,"charging":false,"docked":false},"os":{"version":"14","securityPatch":"2026-10-05"},"wifi":{"ssid":"WH-FLOOR","rssi":{{rssi}}},"apps":[{"packageName":"com.edgemdm.sample.scanner","versionCode":100}]}"""),
                Compliant = true,
                LastCheckinUnixMs = at,
                DeclarationsToken = "bench-declarations",
            },
        };
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static DateTime Deadline() => DateTime.UtcNow + CallTimeout;

    /// <summary>The site's own connection, from its own source address; HTTP/2 keep-alive as the appliance's; over TLS, the hub's certificate pinned.</summary>
    private static SocketsHttpHandler Handler(IPAddress source, string? pin) => new()
    {
        SslOptions = new System.Net.Security.SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                pin is not null && certificate is not null && string.Equals(ServerProcess.PinOf(certificate), pin, StringComparison.OrdinalIgnoreCase),
        },
        KeepAlivePingDelay = TimeSpan.FromSeconds(10),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
