using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Agent;

/// <summary>Where a code enrolled the device, and the appliance's answer.</summary>
public sealed record CodeEnrolled(Uri Server, EnrollResponse Response);

/// <summary>
/// Enrollment from a staging QR code, with no other input: the appliance's URLs, the token and the TLS pin all come
/// from the code. Each URL is tried in order, over a connection that accepts the code's pinned key and no other; the
/// request carries the code's signed fields so the appliance can refuse a code made for another site or one changed
/// after it was printed.
/// </summary>
public static class CodeEnrollment
{
    /// <summary>The code in <paramref name="fileOrText"/>: the payload itself (it starts with '{'), or a file holding it.</summary>
    public static EnrollmentCode Read(string fileOrText)
    {
        ArgumentNullException.ThrowIfNull(fileOrText);
        var text = fileOrText.TrimStart().StartsWith('{') ? fileOrText : ReadFile(fileOrText);
        try
        {
            return ProvisioningQr.Read(text);
        }
        catch (FormatException exception)
        {
            throw new InvalidDataException("the staging code cannot be read: " + exception.Message, exception);
        }
    }

    /// <summary>
    /// Every slot's code of a staging batch, in slot order, from the <c>payload.json</c> the appliance wrote beside the
    /// sheet: <paramref name="path"/> is that file or its directory (<c>DATA/staging/batches/ID</c>).
    /// </summary>
    public static IReadOnlyList<EnrollmentCode> ReadBatch(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = Directory.Exists(path) ? Path.Combine(path, "payload.json") : path;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(ReadFile(file));
            if (!document.RootElement.TryGetProperty("slots", out var slots) || slots.ValueKind != System.Text.Json.JsonValueKind.Array)
                throw new InvalidDataException($"{file} has no \"slots\" array: not a staging batch's payload.json");
            var codes = slots.EnumerateArray().Select(slot => ProvisioningQr.Read(slot.GetString() ?? "")).ToList();
            return codes.Count > 0 ? codes : throw new InvalidDataException($"{file} holds no code");
        }
        catch (Exception exception) when (exception is System.Text.Json.JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{file} is not a staging batch's payload.json: {exception.Message}", exception);
        }
    }

    public static async Task<CodeEnrolled> EnrollAsync(EnrollmentCode code, EnrollRequest device, TimeSpan requestTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(device);
        using var handler = AgentHttp.CreateHandler(maxConnectionsPerServer: 2, code.TlsPin);
        var request = device with { EnrollmentToken = code.Token, Code = code.Proof() };
        HttpRequestException? unreachable = null;
        foreach (var url in code.Urls)
        {
            if (!AgentHttp.TryParseServer(url, out var server))
                throw new InvalidDataException($"the staging code names '{url}', which is not an http(s) URL");
            using var http = AgentHttp.CreateClient(handler, server, requestTimeout);
            try
            {
                var enrolled = await new DeviceApiClient(http).EnrollAsync(request, cancellationToken);
                // The appliance refuses a code of another site itself; this catches an appliance that did not look.
                if (!string.Equals(enrolled.SiteId, code.SiteId, StringComparison.Ordinal))
                    throw new InvalidDataException($"code made for site {code.SiteId}, this appliance is site {enrolled.SiteId}");
                return new CodeEnrolled(server, enrolled);
            }
            catch (HttpRequestException exception)
            {
                // Not reached, or its certificate is not the pinned one: the next URL may be the way in.
                unreachable = exception;
            }
        }

        throw new HttpRequestException($"no appliance URL of the code answered with the pinned certificate ({string.Join(", ", code.Urls)})", unreachable);
    }

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read the staging code from {path}: {exception.Message}", exception);
        }
    }
}
