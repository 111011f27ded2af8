using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeMdm.Contracts.Device;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Bench;

/// <summary>
/// <c>edgemdm-bench noop-server --urls URL</c>: the ceiling of Kestrel + source-generated JSON on this machine.
/// It speaks the device protocol's enroll and check-in calls with the appliance's JSON contract, but stores
/// nothing: check-in reads and deserializes the body, checks that a bearer credential is present and answers
/// a fixed <see cref="CheckinResponse"/>. With <c>--certificate PEM --key PEM</c> it serves https with that
/// certificate (the TLS scenario gives it a P-256 one, as the appliance's site certificate is).
/// </summary>
internal static class NoopServer
{
    // 64 hex characters, as long as the appliance's content-hashed declarations token.
    private static readonly CheckinResponse FixedCheckin = new(new string('0', 64), [], 60);

    public static async Task<int> RunAsync(string[] args)
    {
        X509Certificate2? certificate = null;
        if (args is [.. var hostArgs, "--certificate", var certificatePem, "--key", var keyPem])
        {
            certificate = X509Certificate2.CreateFromPemFile(certificatePem, keyPem);
            args = hostArgs;
        }

        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (certificate is not null)
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
        });
        if (certificate is not null)
            builder.WebHost.UseKestrelHttpsConfiguration();

        var app = builder.Build();
        app.MapGet("/healthz", () => TypedResults.Text("ok\n"));
        app.MapPost("/api/v1/enroll", EnrollAsync);
        app.MapPost("/api/v1/checkin", CheckinAsync);
        await app.RunAsync();
        return 0;
    }

    /// <summary>
    /// A self-signed ECDSA P-256 server certificate for 127.0.0.1, written as PEM (certificate, key) into
    /// <paramref name="directory"/>; returns the two paths and its pin.
    /// </summary>
    public static (string CertificatePem, string KeyPem, string Pin) WriteCertificate(string directory)
    {
        Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=edgemdm-bench no-op endpoint", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        var certificatePem = Path.Combine(directory, "noop.crt.pem");
        var keyPem = Path.Combine(directory, "noop.key.pem");
        File.WriteAllText(certificatePem, certificate.ExportCertificatePem());
        File.WriteAllText(keyPem, key.ExportPkcs8PrivateKeyPem());
        return (certificatePem, keyPem, ServerProcess.PinOf(certificate));
    }

    private static async Task<IResult> EnrollAsync(HttpRequest http)
    {
        var request = await ReadAsync(http, DeviceProtocolJson.Default.EnrollRequest);
        if (request?.Serial is null)
            return TypedResults.BadRequest();
        var secret = "ds_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return TypedResults.Json(
            new EnrollResponse("dev-" + request.Serial, secret, 60, "noop-site", "pickers", Reenrolled: false),
            DeviceProtocolJson.Default.EnrollResponse,
            statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> CheckinAsync(HttpRequest http)
    {
        if (!http.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return TypedResults.Unauthorized();
        return await ReadAsync(http, DeviceProtocolJson.Default.CheckinRequest) is null
            ? TypedResults.BadRequest()
            : TypedResults.Json(FixedCheckin, DeviceProtocolJson.Default.CheckinResponse);
    }

    /// <summary>The body, or null when it is not JSON of the expected shape.</summary>
    private static async Task<T?> ReadAsync<T>(HttpRequest http, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(http.Body, typeInfo, http.HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
