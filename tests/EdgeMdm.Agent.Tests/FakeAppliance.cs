using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Security;
using EdgeMdm.Domain.Staging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Agent.Tests;

/// <summary>What the fake appliance saw of one request.</summary>
public sealed record RecordedRequest(string Method, string Path, string? Authorization, string? ContentType, string? IfNoneMatch, string Body, string? Range = null, string? IfRange = null);

/// <summary>
/// A small in-memory appliance speaking device protocol v1 on Kestrel, 127.0.0.1, port 0, over https with a certificate of
/// its own (ECDSA P-256, as the real appliance's) that clients pin (<see cref="Pin"/>), as a device does. Secrets are
/// "secret-SERIAL", device ids "dev-SERIAL". Knobs let a test make requests fail.
/// </summary>
public sealed class FakeAppliance : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _deviceBySecret = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<HttpClient> _clients = new();
    private int _failEnrollments;
    private int _failCheckins;
    private int _failResults;
    private int _unavailablePackages;
    private long _cutPackageAfterBytes = -1;

    // Each device's declaration-set version and the token it was given for, raised on every token change, as the site does.
    private readonly ConcurrentDictionary<string, (string Token, long Version)> _versions = new(StringComparer.Ordinal);

    private FakeAppliance(WebApplication app, string pin, SiteSigningKey signingKey)
    {
        _app = app;
        Pin = pin;
        SigningKey = signingKey;
    }

    /// <summary>The key of the certificate it serves, which signs declaration sets and commands as the site's does.</summary>
    public SiteSigningKey SigningKey { get; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The pin of the certificate it serves (<c>--pin</c>): hex SHA-256 of its SubjectPublicKeyInfo.</summary>
    public string Pin { get; }
    public string EnrollmentToken { get; set; } = "enroll-token";
    public int CheckinIntervalSeconds { get; set; } = 60;
    public DeclarationsDocument Declarations { get; set; } = Blueprint.Empty("floor").ToDeclarations();

    /// <summary>The plan <c>GET /api/v1/staging/plan</c> hands out, secrets in clear; null: 404 (no plan), as before plans.</summary>
    public StagingPlan? StagingPlan { get; set; }
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
    public ConcurrentDictionary<string, DeviceStatus> Statuses { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<string> EnrolledSerials { get; } = new();
    public ConcurrentDictionary<string, ConcurrentDictionary<string, DeviceCommand>> PendingCommands { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<(string CommandId, CommandResultRequest Result)> Results { get; } = new();

    /// <summary>Secrets the appliance refuses with 403 "device retired".</summary>
    public ConcurrentDictionary<string, bool> RetiredSecrets { get; } = new(StringComparer.Ordinal);

    /// <summary>The next N enrollments are answered 503.</summary>
    public int FailEnrollments { set => Volatile.Write(ref _failEnrollments, value); }

    /// <summary>The next N check-ins are answered 503.</summary>
    public int FailCheckins { set => Volatile.Write(ref _failCheckins, value); }

    /// <summary>The next N command results are answered 503.</summary>
    public int FailResults { set => Volatile.Write(ref _failResults, value); }

    /// <summary>Package files by SHA-256 (<c>GET /api/v1/packages/{sha256}</c>); a test may put other bytes under a hash to tamper.</summary>
    public ConcurrentDictionary<string, byte[]> Packages { get; } = new(StringComparer.Ordinal);

    /// <summary>The signing key sent in enrollment answers (declarations carry their own).</summary>
    public string? PackageSigningKey { get; set; }

    /// <summary>The next N package downloads are answered 503 with <see cref="RetryAfterSeconds"/>.</summary>
    public int UnavailablePackages { set => Volatile.Write(ref _unavailablePackages, value); }

    public int RetryAfterSeconds { get; set; } = 7;

    /// <summary>The next package download sends its full Content-Length but only this many bytes, then drops the connection.</summary>
    public long CutNextPackageAfterBytes { set => Interlocked.Exchange(ref _cutPackageAfterBytes, value); }

    /// <summary>Answer every download with the whole file (200), as a server without range support would.</summary>
    public bool IgnoreRanges { get; set; }

    public IEnumerable<RecordedRequest> PackageRequests => Requests.Where(r => r.Path.StartsWith("/api/v1/packages/", StringComparison.Ordinal));

    public int CheckinCount => Requests.Count(r => string.Equals(r.Path, "/api/v1/checkin", StringComparison.Ordinal));

    public static async Task<FakeAppliance> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificate = TestCertificates.Loopback("fake-appliance.local");
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        using var key = certificate.GetECDsaPrivateKey()!;
        var fake = new FakeAppliance(app, Discovery.Service.TlsPin.Of(certificate), SiteSigningKey.From(key));
        app.Use(fake.RecordAsync);
        app.MapPost("/api/v1/enroll", fake.EnrollAsync);
        app.MapPost("/api/v1/checkin", fake.CheckinAsync);
        app.MapGet("/api/v1/declarations", fake.DeclarationsAsync);
        app.MapGet("/api/v1/staging/plan", fake.StagingPlanAsync);
        app.MapPost("/api/v1/commands/{id}/result", fake.ResultAsync);
        app.MapGet("/api/v1/packages/{sha256}", fake.PackageAsync);
        await app.StartAsync();
        fake.BaseAddress = new Uri(app.Urls.First() + "/");
        return fake;
    }

    public void AddCommand(string serial, DeviceCommand command) =>
        PendingCommands.GetOrAdd("dev-" + serial, _ => new(StringComparer.Ordinal))[command.Id] = command;

    /// <summary>A device API client for this appliance, pinned to its certificate; the appliance disposes it when it stops.</summary>
    public DeviceApiClient CreateApiClient()
    {
        var http = new HttpClient(AgentHttp.CreateHandler(4, Pin)) { BaseAddress = BaseAddress };
        _clients.Enqueue(http);
        return new DeviceApiClient(http);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        SigningKey.Dispose();
    }

    private async Task RecordAsync(HttpContext context, RequestDelegate next)
    {
        context.Request.EnableBuffering();
        using var reader = new StreamReader(context.Request.Body, leaveOpen: true);
        var body = await reader.ReadToEndAsync();
        context.Request.Body.Position = 0;
        var headers = context.Request.Headers;
        Requests.Enqueue(new RecordedRequest(
            context.Request.Method,
            context.Request.Path + context.Request.QueryString,
            headers.Authorization.Count > 0 ? headers.Authorization.ToString() : null,
            context.Request.ContentType,
            headers.IfNoneMatch.Count > 0 ? headers.IfNoneMatch.ToString() : null,
            body,
            headers.Range.Count > 0 ? headers.Range.ToString() : null,
            headers.IfRange.Count > 0 ? headers.IfRange.ToString() : null));
        await next(context);
    }

    private async Task EnrollAsync(HttpContext context)
    {
        if (!IsJson(context))
        {
            await ProblemAsync(context, 415, "Unsupported media type", "send application/json");
            return;
        }

        if (Interlocked.Decrement(ref _failEnrollments) >= 0)
        {
            await ProblemAsync(context, 503, "Busy", "try again");
            return;
        }

        var request = await JsonSerializer.DeserializeAsync(context.Request.Body, DeviceProtocolJson.Default.EnrollRequest);
        if (!string.Equals(request?.EnrollmentToken, EnrollmentToken, StringComparison.Ordinal))
        {
            await ProblemAsync(context, 403, "Enrollment token refused", "the token is unknown, expired or used up");
            return;
        }

        if (string.IsNullOrEmpty(request!.Serial))
        {
            await ProblemAsync(context, 400, "Invalid enrollment", "one or more fields are invalid", """{"serial":["The serial is required."]}""");
            return;
        }

        var reenrolled = EnrolledSerials.Contains(request.Serial);
        EnrolledSerials.Enqueue(request.Serial);
        _deviceBySecret["secret-" + request.Serial] = "dev-" + request.Serial;
        context.Response.StatusCode = 201;
        await context.Response.WriteAsJsonAsync(
            new EnrollResponse("dev-" + request.Serial, "secret-" + request.Serial, CheckinIntervalSeconds, "site-1", "floor", reenrolled) { PackageSigningKey = PackageSigningKey },
            DeviceProtocolJson.Default.EnrollResponse);
    }

    private async Task CheckinAsync(HttpContext context)
    {
        if (await DeviceUnlessBusyAsync(context, () => Interlocked.Decrement(ref _failCheckins) >= 0) is not { } deviceId)
            return;

        var request = await JsonSerializer.DeserializeAsync(context.Request.Body, DeviceProtocolJson.Default.CheckinRequest);
        // StatusMerge (shared) predates install failures; the fake keeps them the way the protocol says: a
        // present list replaces the held one, an absent one leaves it.
        var changes = request?.Status ?? new DeviceStatus();
        Statuses.AddOrUpdate(
            deviceId,
            _ => changes,
            (_, old) => StatusMerge.Apply(old, changes) with { InstallFailures = changes.InstallFailures ?? old.InstallFailures });
        var commands = PendingCommands.TryGetValue(deviceId, out var pending)
            ? pending.Values.Select(c => c.Signature is null ? CommandSignature.Sign(c, deviceId, "site:fake", CommandSignature.OriginSite, SigningKey) : c).ToArray()
            : [];
        await context.Response.WriteAsJsonAsync(
            new CheckinResponse(Declarations.Token, commands, CheckinIntervalSeconds),
            DeviceProtocolJson.Default.CheckinResponse);
    }

    private async Task StagingPlanAsync(HttpContext context)
    {
        if (await DeviceOfAsync(context) is null)
            return;
        if (StagingPlan is not { } plan)
        {
            await ProblemAsync(context, 404, "No staging plan", "group 'floor' has no staging plan");
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(StagingPlanJson.SerializeClear(plan));
    }

    private async Task DeclarationsAsync(HttpContext context)
    {
        if (await DeviceOfAsync(context) is not { } deviceId)
            return;
        var etag = "\"" + Declarations.Token + "\"";
        context.Response.Headers.ETag = etag;
        if (string.Equals(context.Request.Headers.IfNoneMatch.ToString(), etag, StringComparison.Ordinal))
        {
            context.Response.StatusCode = 304;
            return;
        }

        var declarations = Declarations;
        var (_, version) = _versions.AddOrUpdate(
            deviceId,
            _ => (declarations.Token, 1),
            (_, held) => string.Equals(held.Token, declarations.Token, StringComparison.Ordinal) ? held : (declarations.Token, held.Version + 1));
        var signed = declarations.Signature is null ? DeclarationSetSignature.Sign(declarations, deviceId, version, SigningKey) : declarations;
        await context.Response.WriteAsJsonAsync(signed, DeviceProtocolJson.Default.DeclarationsDocument);
    }

    private async Task ResultAsync(HttpContext context, string id)
    {
        if (await DeviceUnlessBusyAsync(context, () => Interlocked.Decrement(ref _failResults) >= 0) is not { } deviceId)
            return;

        var result = await JsonSerializer.DeserializeAsync(context.Request.Body, DeviceProtocolJson.Default.CommandResultRequest);
        Results.Enqueue((id, result!));
        if (PendingCommands.TryGetValue(deviceId, out var pending))
            pending.TryRemove(id, out _);
        context.Response.StatusCode = 204;
    }

    /// <summary>Single open-ended ranges (<c>bytes=N-</c>) with If-Range on the strong ETag: all the agent asks for.</summary>
    private async Task PackageAsync(HttpContext context, string sha256)
    {
        if (await DeviceOfAsync(context) is null)
            return;
        if (!Packages.TryGetValue(sha256, out var blob))
        {
            await ProblemAsync(context, 404, "Unknown package", "no package " + sha256);
            return;
        }

        if (Interlocked.Decrement(ref _unavailablePackages) >= 0)
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await ProblemAsync(context, 503, "Not cached yet", "the site is fetching this package");
            return;
        }

        var etag = "\"" + sha256 + "\"";
        context.Response.Headers.ETag = etag;
        long from = 0;
        var range = context.Request.Headers.Range.ToString();
        var ifRange = context.Request.Headers.IfRange.ToString();
        if (!IgnoreRanges && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-')
            && (ifRange.Length == 0 || string.Equals(ifRange, etag, StringComparison.Ordinal)))
        {
            from = long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (from >= blob.Length)
            {
                context.Response.Headers.ContentRange = "bytes */" + blob.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
                context.Response.StatusCode = 416;
                return;
            }

            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"bytes {from}-{blob.Length - 1}/{blob.Length}");
        }

        context.Response.ContentType = "application/vnd.android.package-archive";
        context.Response.ContentLength = blob.Length - from;
        var cut = Interlocked.Exchange(ref _cutPackageAfterBytes, -1);
        if (cut >= 0)
        {
            await context.Response.Body.WriteAsync(blob.AsMemory((int)from, (int)Math.Min(cut, blob.Length - from)));
            await context.Response.Body.FlushAsync();
            // An abort resets the connection, and a reset can discard bytes the client has not read yet:
            // give it time to take them, so the cut is always mid-body rather than sometimes before it.
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            context.Abort();
            return;
        }

        await context.Response.Body.WriteAsync(blob.AsMemory((int)from));
    }

    /// <summary>The device id of the bearer secret, or null after answering 401 / 403 / 502.</summary>
    private async Task<string?> DeviceOfAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        var secret = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : "";
        if (string.Equals(secret, "secret-BROKEN-PROXY", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 502;
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("<html>Bad Gateway</html>");
            return null;
        }

        if (RetiredSecrets.ContainsKey(secret))
        {
            await ProblemAsync(context, 403, "Device retired", "this device was retired and may not check in");
            return null;
        }

        if (_deviceBySecret.TryGetValue(secret, out var deviceId))
            return deviceId;
        await ProblemAsync(context, 401, "Unauthorized", "unknown device secret");
        return null;
    }

    /// <summary>As <see cref="DeviceOfAsync"/>, and null after answering 503 when <paramref name="failNow"/> says an injected failure is due.</summary>
    private async Task<string?> DeviceUnlessBusyAsync(HttpContext context, Func<bool> failNow)
    {
        if (await DeviceOfAsync(context) is not { } deviceId)
            return null;
        if (!failNow())
            return deviceId;
        await ProblemAsync(context, 503, "Busy", "try again");
        return null;
    }

    private static bool IsJson(HttpContext context) =>
        context.Request.ContentType is { } type && type.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static async Task ProblemAsync(HttpContext context, int status, string title, string detail, string? errorsJson = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var body = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["type"] = "https://edgemdm.dev/problems/" + status,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (errorsJson is not null)
            body["errors"] = JsonDocument.Parse(errorsJson).RootElement;
        await context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
