using System.Security.Cryptography.X509Certificates;
using EdgeMdm.Edge.Hosting;
using EdgeMdm.Edge.SiteTls;

namespace EdgeMdm.Edge.Tests;

/// <summary><c>serve --urls https://…</c> with no other setting: Kestrel serves the site certificate, and renews it live.</summary>
public sealed class SiteTlsServingTests : IAsyncLifetime
{
    private EdgeServer _server = null!;

    // https is EdgeServer's default, as it is serve's.
    public async Task InitializeAsync() => _server = await EdgeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_client_trusting_only_the_site_authority_is_served()
    {
        var site = _server.Get<SiteCertificates>();
        X509Certificate2? seen = null;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            seen = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(site.Authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(seen);
        };
        using var client = new HttpClient(handler) { BaseAddress = _server.Http.BaseAddress };

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(site.Server.Thumbprint, seen!.Thumbprint);
        Assert.True(File.Exists(Path.Combine(_server.DataDir, "tls", "site-ca.pem")));
    }

    [Fact]
    public async Task A_pinned_client_keeps_connecting_across_a_renewal_and_another_pin_is_refused()
    {
        var site = _server.Get<SiteCertificates>();
        var before = await ServedSerialAsync(site.Pin);

        _server.Clock.Advance(SiteCertificates.ServerLifetime - SiteCertificates.RenewBefore + TimeSpan.FromDays(1));
        var after = await ServedSerialAsync(site.Pin);

        Assert.NotEqual(before, after);
        await Assert.ThrowsAsync<HttpRequestException>(() => ServedSerialAsync(new string('0', 64)));
        // The agent's own client, pinned as a device is from the appliance's mDNS record, after the renewal too.
        using var agent = new HttpClient(Agent.AgentHttp.CreateHandler(1, site.Pin)) { BaseAddress = _server.Http.BaseAddress };
        using var response = await agent.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_enrolled_device_keeps_checking_in_across_renewals_on_new_connections()
    {
        var site = _server.Get<SiteCertificates>();
        var secret = (await _server.EnrollAsync("SN-RENEW")).DeviceSecret;
        var first = await ServedSerialAsync(site.Pin);

        foreach (var renewal in Enumerable.Range(1, 2))
        {
            // Past the renewal point of the certificate now served: the next handshake gets a new one.
            _server.Clock.Advance(SiteCertificates.ServerLifetime - SiteCertificates.RenewBefore + TimeSpan.FromDays(1));
            using var device = _server.CreateClient();
            using var checkin = await device.SendAsync(EdgeServer.Authorized(
                HttpMethod.Post, "/api/v1/checkin", secret, JsonContent.Create(new CheckinRequest(), DeviceProtocolJson.Default.CheckinRequest)));

            Assert.True(checkin.StatusCode == HttpStatusCode.OK, $"renewal {renewal}: {checkin.StatusCode}");
        }

        Assert.NotEqual(first, await ServedSerialAsync(site.Pin));
        Assert.Equal(_server.Pin, site.Pin);
    }

    [Fact]
    public void The_certificate_names_the_host_the_mdns_responder_announces()
    {
        var names = _server.Get<SiteCertificates>().Server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();

        Assert.Contains("edgemdm-dc-demo-01.local", names);
        Assert.Contains("localhost", names);
    }

    [Fact]
    public async Task A_configured_mdns_host_name_is_the_one_the_certificate_names()
    {
        await using var server = await EdgeServer.StartAsync("--Edge:Mdns:HostName", "dock-7");

        var served = await ServedCertificateAsync(server);

        var names = served.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();
        Assert.Contains("dock-7.local", names);
        Assert.DoesNotContain("edgemdm-dc-demo-01.local", names);
    }

    private static async Task<X509Certificate2> ServedCertificateAsync(EdgeServer server)
    {
        X509Certificate2? seen = null;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            seen = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
            return string.Equals(SiteCertificates.SpkiSha256(seen), server.Pin, StringComparison.Ordinal);
        };
        using var client = new HttpClient(handler) { BaseAddress = server.BaseAddress };
        (await client.GetAsync(new Uri("/healthz", UriKind.Relative))).EnsureSuccessStatusCode();
        return seen!;
    }

    /// <summary>The serial of the certificate a new connection is served, accepted only when its key has the pin.</summary>
    private async Task<string> ServedSerialAsync(string pin)
    {
        string? serial = null;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var served = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
            serial = served.SerialNumber;
            return string.Equals(SiteCertificates.SpkiSha256(served), pin, StringComparison.Ordinal);
        };
        using var client = new HttpClient(handler) { BaseAddress = _server.Http.BaseAddress };
        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return serial!;
    }
}

/// <summary>An appliance on https and plain HTTP at once: plain HTTP only redirects (package downloads too), except the liveness probe.</summary>
public sealed class SiteTlsRedirectTests
{
    [Fact]
    public async Task With_no_listener_configured_serve_takes_https_8443_and_plain_http_8080()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "edgemdm-test-" + Guid.NewGuid().ToString("N"));
        await using var unconfigured = EdgeHost.Build(["--data-dir", dataDir]);
        await using var configured = EdgeHost.Build(["--data-dir", dataDir, "--urls", "https://127.0.0.1:9443"]);

        Assert.Equal(SiteTlsRegistration.DefaultUrls, unconfigured.Configuration["urls"]);
        Assert.Equal("https://0.0.0.0:8443;http://0.0.0.0:8080", SiteTlsRegistration.DefaultUrls);
        Assert.Equal("https://127.0.0.1:9443", configured.Configuration["urls"]);
    }

    [Fact]
    public async Task Plain_http_redirects_to_https_with_308_except_healthz()
    {
        await using var server = await EdgeServer.StartAsync("--urls", "http://127.0.0.1:0;https://127.0.0.1:0");
        var addresses = server.App.Urls;
        var http = new Uri(addresses.Single(url => url.StartsWith("http://", StringComparison.Ordinal)));
        var https = new Uri(addresses.Single(url => url.StartsWith("https://", StringComparison.Ordinal)));
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = http };

        using var checkin = await client.PostAsync(new Uri("/api/v1/checkin", UriKind.Relative), new StringContent("{}"));
        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        // Packages go over the site TLS only (docs/adr/0003-package-transport.md): plain HTTP serves no package bytes.
        var package = "/api/v1/packages/" + new string('a', 64);
        using var download = new HttpRequestMessage(HttpMethod.Get, new Uri(package, UriKind.Relative));
        download.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "a-device-secret");
        using var packageAnswer = await client.SendAsync(download);

        Assert.Equal(HttpStatusCode.PermanentRedirect, checkin.StatusCode);
        Assert.Equal(new Uri(https, "/api/v1/checkin"), checkin.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.PermanentRedirect, packageAnswer.StatusCode);
        Assert.Equal(new Uri(https, package), packageAnswer.Headers.Location);
        Assert.Empty(await packageAnswer.Content.ReadAsByteArrayAsync());
    }
}
