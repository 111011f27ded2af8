using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.Agent;

/// <summary>
/// Device protocol v1 over HTTP/JSON. Wraps an <see cref="HttpClient"/> whose BaseAddress is the appliance
/// URL; the caller owns the client, and one client shared by many devices is the intended use (the client
/// holds no per-device state, so it is safe to call concurrently).
/// </summary>
/// <remarks>
/// Every answer outside 2xx becomes a <see cref="DeviceApiException"/> carrying the problem details, and so
/// does a 2xx body that cannot be read. Transport failures stay what <see cref="HttpClient"/> throws:
/// <see cref="HttpRequestException"/>, and <see cref="TaskCanceledException"/> for a timeout.
/// </remarks>
public sealed class DeviceApiClient
{
    // Relative, without a leading slash, so that an appliance behind a path prefix ("https://host/edge/")
    // keeps its prefix. Parsed once: this client is on the load path.
    private static readonly Uri EnrollPath = new("api/v1/enroll", UriKind.Relative);
    private static readonly Uri CheckinPath = new("api/v1/checkin", UriKind.Relative);
    private static readonly Uri DeclarationsPath = new("api/v1/declarations", UriKind.Relative);
    private static readonly Uri StagingPlanPath = new("api/v1/staging/plan", UriKind.Relative);
    private static readonly DeviceProtocolJson Json = DeviceProtocolJson.Default;

    private const int DownloadChunkBytes = 81_920;

    // A site that has not cached a package yet says when to come back; these bound what we believe of it.
    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MinRetryAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(1);

    private readonly HttpClient _http;

    public DeviceApiClient(HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        if (httpClient.BaseAddress is null)
            throw new ArgumentException("the HttpClient needs a BaseAddress: the appliance URL", nameof(httpClient));
        _http = httpClient;
    }

    /// <summary>POST /api/v1/enroll; 201 → the device's id and its secret (shown only this once).</summary>
    public async Task<EnrollResponse> EnrollAsync(EnrollRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, EnrollPath) { Content = JsonBody(request, Json.EnrollRequest) };
        using var response = await SendAsync(message, cancellationToken);
        var enrolled = await ReadAsync(response, Json.EnrollResponse, cancellationToken);
        return enrolled.DeviceId is null || enrolled.DeviceSecret is null
            ? throw DeviceApiException.Malformed(response, "the enrollment answer has no deviceId or deviceSecret")
            : enrolled;
    }

    /// <summary>POST /api/v1/checkin; 200 → the current declarations token and the pending commands.</summary>
    public async Task<CheckinResponse> CheckinAsync(string deviceSecret, CheckinRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, CheckinPath) { Content = JsonBody(request, Json.CheckinRequest) };
        Authorize(message, deviceSecret);
        using var response = await SendAsync(message, cancellationToken);
        var answer = await ReadAsync(response, Json.CheckinResponse, cancellationToken);
        return answer.DeclarationsToken is null || answer.Commands is null
            ? throw DeviceApiException.Malformed(response, "the check-in answer has no declarationsToken or commands")
            : answer;
    }

    /// <summary>
    /// GET /api/v1/declarations. With <paramref name="ifNoneMatchToken"/> (the token of the declarations the
    /// device holds) the appliance answers 304 when nothing changed: then this returns null.
    /// </summary>
    public async Task<DeclarationsDocument?> GetDeclarationsAsync(string deviceSecret, string? ifNoneMatchToken, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, DeclarationsPath);
        Authorize(message, deviceSecret);
        if (!string.IsNullOrEmpty(ifNoneMatchToken))
            message.Headers.TryAddWithoutValidation("If-None-Match", EntityTag(ifNoneMatchToken));
        using var response = await SendAsync(message, cancellationToken, allowNotModified: true);
        if (response.StatusCode == HttpStatusCode.NotModified)
            return null;
        var document = await ReadAsync(response, Json.DeclarationsDocument, cancellationToken);
        return document.Token is null
            ? throw DeviceApiException.Malformed(response, "the declarations document has no token")
            : document;
    }

    /// <summary>
    /// GET /api/v1/staging/plan: the plan of the device's group, secrets in clear (kept in memory by the caller, never
    /// logged); null when the group has none (404).
    /// </summary>
    public async Task<StagingPlan?> GetStagingPlanAsync(string deviceSecret, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, StagingPlanPath);
        Authorize(message, deviceSecret);
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        if (!response.IsSuccessStatusCode)
            throw await DeviceApiException.FromResponseAsync(response, cancellationToken);
        var json = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var plan = StagingPlanJson.DeserializeClear(json);
            return plan.Steps is { Count: > 0 } ? plan : throw DeviceApiException.Malformed(response, "the staging plan has no steps");
        }
        catch (JsonException e)
        {
            // The message of a JsonException names a path, never a value: no secret gets into it.
            throw DeviceApiException.Malformed(response, e.Message, e);
        }
    }

    /// <summary>POST /api/v1/commands/{id}/result; 204.</summary>
    public async Task ReportCommandResultAsync(string deviceSecret, string commandId, CommandResultRequest result, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(commandId);
        ArgumentNullException.ThrowIfNull(result);
        var path = new Uri("api/v1/commands/" + Uri.EscapeDataString(commandId) + "/result", UriKind.Relative);
        using var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonBody(result, Json.CommandResultRequest) };
        Authorize(message, deviceSecret);
        using var response = await SendAsync(message, cancellationToken);
    }

    /// <summary>
    /// GET <paramref name="downloadPath"/> (the declaration's <c>AppPackage.DownloadPath</c>) with the device
    /// credential, streamed chunk by chunk into <paramref name="partPath"/>: the file is never held in memory.
    /// When the part file already holds N bytes (a download cut earlier), asks for <c>Range: bytes=N-</c> with
    /// <c>If-Range: "sha256"</c>: 206 appends, 200 (the appliance no longer has the same file, or ignores
    /// ranges) starts again from zero. A part as long as <paramref name="expectedSizeBytes"/> is taken as
    /// complete without a request; one longer is deleted. Verifying the bytes is the caller's job.
    /// </summary>
    /// <returns>Completed, or NotYetAvailable for a 503 (the site is still fetching the package).</returns>
    /// <exception cref="DeviceApiException">401/403/404 and any other refusal, with the problem details.</exception>
    /// <exception cref="PackageTooLargeException">The body ran past <paramref name="expectedSizeBytes"/>; the part is deleted.</exception>
    /// <remarks>
    /// A cut mid-body throws what the transport throws (<see cref="HttpRequestException"/>,
    /// <see cref="IOException"/>, <see cref="OperationCanceledException"/> when no byte came for the client's
    /// timeout) and leaves the bytes received so far in the part file, flushed, for the next call to resume.
    /// </remarks>
    public async Task<PackageDownload> DownloadPackageAsync(
        string deviceSecret,
        string downloadPath,
        string sha256,
        long expectedSizeBytes,
        string partPath,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sha256);
        ArgumentException.ThrowIfNullOrEmpty(partPath);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expectedSizeBytes);
        var path = RelativeToAppliance(downloadPath);

        var held = File.Exists(partPath) ? new FileInfo(partPath).Length : 0;
        if (held > expectedSizeBytes)
        {
            File.Delete(partPath);
            held = 0;
        }

        if (held == expectedSizeBytes)
            return PackageDownload.Completed(0, resumed: true);

        using var message = new HttpRequestMessage(HttpMethod.Get, path);
        Authorize(message, deviceSecret);
        if (held > 0)
        {
            message.Headers.Range = new RangeHeaderValue(held, to: null);
            // If-Range makes the appliance send the whole file (200) instead of a range of some other file
            // should what it serves under this path ever change; the content address is the strong ETag.
            message.Headers.TryAddWithoutValidation("If-Range", EntityTag(sha256));
        }

        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            return PackageDownload.NotYetAvailable(RetryAfter(response));
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // What the part holds does not fit the file the appliance has: start from zero next time.
            File.Delete(partPath);
            throw await DeviceApiException.FromResponseAsync(response, cancellationToken);
        }

        if (!response.IsSuccessStatusCode)
            throw await DeviceApiException.FromResponseAsync(response, cancellationToken);

        var resumed = response.StatusCode == HttpStatusCode.PartialContent;
        if (resumed && (held == 0 || response.Content.Headers.ContentRange?.From != held))
        {
            File.Delete(partPath);
            throw DeviceApiException.Malformed(response, "206 for a range the agent did not ask for");
        }

        if (!resumed && response.StatusCode != HttpStatusCode.OK)
            throw DeviceApiException.Malformed(response, "expected 200 or 206 for a package download");

        var received = await WriteBodyAsync(response, partPath, resumed ? held : 0, expectedSizeBytes, cancellationToken);
        return PackageDownload.Completed(received, resumed);
    }

    /// <summary>Copies the body into the part file (appending at <paramref name="offset"/>) and flushes it to disk.</summary>
    private async Task<long> WriteBodyAsync(HttpResponseMessage response, string partPath, long offset, long expectedSizeBytes, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await using (body)
        {
            var file = new FileStream(partPath, offset > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, DownloadChunkBytes, useAsync: true);
            var tooLarge = false;
            long received = 0;
            await using (file)
            {
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(DownloadChunkBytes);
                try
                {
                    // HttpClient.Timeout covers the wait for the headers only; a body that stalls is cut
                    // after the same time without a byte, and what arrived is kept for the resume.
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    while (true)
                    {
                        idle.CancelAfter(_http.Timeout);
                        var read = await body.ReadAsync(buffer.AsMemory(0, DownloadChunkBytes), idle.Token);
                        if (read == 0)
                            break;
                        if (offset + received + read > expectedSizeBytes)
                        {
                            tooLarge = true;
                            break;
                        }

                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                        received += read;
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    await file.FlushAsync(CancellationToken.None);
                    file.Flush(flushToDisk: true);
                }
            }

            if (tooLarge)
            {
                File.Delete(partPath);
                throw new PackageTooLargeException($"the appliance sent more than the package's {expectedSizeBytes} bytes");
            }

            return received;
        }
    }

    /// <summary>
    /// The appliance names the download by absolute path (<c>/api/v1/packages/…</c>); it is resolved against
    /// the appliance URL, keeping a path prefix, and never toward another host: the request carries the
    /// device's credential.
    /// </summary>
    private static Uri RelativeToAppliance(string downloadPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(downloadPath);
        if (downloadPath[0] != '/' || downloadPath.StartsWith("//", StringComparison.Ordinal) || downloadPath.Contains('\\', StringComparison.Ordinal))
            throw new ArgumentException($"download path '{downloadPath}' is not a path on the appliance", nameof(downloadPath));
        return new Uri(downloadPath[1..], UriKind.Relative);
    }

    private static TimeSpan RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta
            ?? (header?.Date is { } date ? date - (response.Headers.Date ?? DateTimeOffset.UtcNow) : DefaultRetryAfter);
        return wait < MinRetryAfter ? MinRetryAfter : wait > MaxRetryAfter ? MaxRetryAfter : wait;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage message, CancellationToken cancellationToken, bool allowNotModified = false)
    {
        // Headers first, body read by the caller straight from the connection: no intermediate buffer.
        var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.IsSuccessStatusCode || (allowNotModified && response.StatusCode == HttpStatusCode.NotModified))
            return response;
        using (response)
            throw await DeviceApiException.FromResponseAsync(response, cancellationToken);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using (stream)
            {
                return await JsonSerializer.DeserializeAsync(stream, typeInfo, cancellationToken)
                    ?? throw DeviceApiException.Malformed(response, "the body is empty (null)");
            }
        }
        catch (JsonException e)
        {
            throw DeviceApiException.Malformed(response, e.Message, e);
        }
    }

    /// <summary>The body as one byte array: it goes out with a Content-Length (no chunking), and the
    /// appliance can refuse an oversized request (413) before reading it.</summary>
    private static ByteArrayContent JsonBody<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
        // JSON is UTF-8 by definition (RFC 8259), so no charset parameter.
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static void Authorize(HttpRequestMessage message, string deviceSecret)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceSecret);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", deviceSecret);
    }

    /// <summary>The appliance sends the token as a strong entity tag, "token"; accept either form.</summary>
    private static string EntityTag(string token) =>
        token.Length >= 2 && token[0] == '"' && token[^1] == '"' ? token : "\"" + token + "\"";
}
