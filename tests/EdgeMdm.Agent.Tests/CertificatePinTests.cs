using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace EdgeMdm.Agent.Tests;

/// <summary>The certificate an appliance advertises over mDNS is the only one the agent then accepts.</summary>
public sealed class CertificatePinTests : IAsyncLifetime
{
    private X509Certificate2 _certificate = null!;
    private WebApplication _server = null!;
    private Uri _url = null!;

    public async Task InitializeAsync()
    {
        _certificate = TestCertificates.Loopback("edgemdm-test.local");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(_certificate)));
        _server = builder.Build();
        _server.MapGet("/healthz", () => "ok");
        await _server.StartAsync();
        _url = new Uri(_server.Urls.Single());
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificate.Dispose();
    }

    private async Task<HttpStatusCode> GetAsync(string? pin)
    {
        using var handler = AgentHttp.CreateHandler(1, pin);
        using var http = AgentHttp.CreateClient(handler, _url, TimeSpan.FromSeconds(10));
        using var response = await http.GetAsync(new Uri("healthz", UriKind.Relative));
        return response.StatusCode;
    }

    [Fact]
    public async Task The_pinned_certificate_is_accepted_though_no_authority_signed_it()
    {
        var pin = Convert.ToHexStringLower(SHA256.HashData(_certificate.PublicKey.ExportSubjectPublicKeyInfo()));

        Assert.Equal(HttpStatusCode.OK, await GetAsync(pin));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(pin.ToUpperInvariant()));
    }

    [Fact]
    public async Task Another_pin_is_refused()
    {
        var other = Convert.ToHexStringLower(SHA256.HashData("not the appliance"u8));

        await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(other));
    }

    [Fact]
    public async Task Without_a_pin_the_usual_validation_refuses_a_self_signed_certificate() =>
        await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(null));
}
