using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeMdm.Contracts.Device;

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
    private static readonly DeviceProtocolJson Json = DeviceProtocolJson.Default;

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
