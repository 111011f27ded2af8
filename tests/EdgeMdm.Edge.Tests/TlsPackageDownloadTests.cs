using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// An appliance serving HTTPS with its own certificate (Kestrel's <c>Certificates:Default</c>): the device transport for
/// packages (docs/adr/0003-package-transport.md). Downloads are copied through the process, whole and by range.
/// </summary>
public sealed class TlsPackageDownloadTests : IAsyncLifetime, IDisposable
{
    private const int Size = 700_000;

    private readonly HubCatalog _hub = new();
    private readonly string _certificatePath = Path.Combine(Path.GetTempPath(), "edgemdm-tls-" + Guid.NewGuid().ToString("N") + ".pem");
    private readonly string _keyPath = Path.Combine(Path.GetTempPath(), "edgemdm-tls-" + Guid.NewGuid().ToString("N") + ".key");
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private X509Certificate2 _certificate = null!;
    private EdgeServer _server = null!;
    private HttpClient _https = null!;

    public async Task InitializeAsync()
    {
        _certificate = new CertificateRequest("CN=127.0.0.1", _key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(_certificatePath, _certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(_keyPath, _key.ExportPkcs8PrivateKeyPem());
        _server = await EdgeServer.StartAsync(
            "--urls", "https://127.0.0.1:0",
            "--Kestrel:Certificates:Default:Path", _certificatePath,
            "--Kestrel:Certificates:Default:KeyPath", _keyPath);
        // The agent's own client, trusting exactly the appliance's certificate as it does once it learned the pin.
        var pin = EdgeMdm.Discovery.Service.TlsPin.Of(_certificate);
        _https = new HttpClient(Agent.AgentHttp.CreateHandler(1, pin)) { BaseAddress = _server.Http.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _https.Dispose();
        await _server.DisposeAsync();
    }

    public void Dispose()
    {
        _hub.Dispose();
        _certificate.Dispose();
        _key.Dispose();
        File.Delete(_certificatePath);
        File.Delete(_keyPath);
    }

    [Fact]
    public async Task A_download_over_tls_is_copied_through_the_process_and_arrives_whole()
    {
        var package = _hub.Package(HubCatalog.SeedApp, HubCatalog.SeedVersion, Size);
        await HubCatalog.ApplyAsync(_server, _hub.Key(), _hub.Published(package));
        using var enrolled = await _https.PostAsJsonAsync("/api/v1/enroll", EdgeServer.Enrollment("SN-TLS"), DeviceProtocolJson.Default.EnrollRequest);
        var secret = (await enrolled.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.EnrollResponse))!.DeviceSecret;
        await HubCatalog.CacheAsync(_server, package);
        var path = "/api/v1/packages/" + package.Sha256;

        using var whole = await _https.SendAsync(EdgeServer.Authorized(HttpMethod.Get, path, secret));
        using var range = EdgeServer.Authorized(HttpMethod.Get, path, secret);
        range.Headers.Range = new RangeHeaderValue(300_000, null);
        using var tail = await _https.SendAsync(range);

        Assert.Equal(Uri.UriSchemeHttps, _server.Http.BaseAddress!.Scheme);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(package.Bytes, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(package.Bytes[300_000..], await tail.Content.ReadAsByteArrayAsync());
        Assert.Equal(Size + Size - 300_000, _server.Downloads.CopiedBytes);
    }
}
