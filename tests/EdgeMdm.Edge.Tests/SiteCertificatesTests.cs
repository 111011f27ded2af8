using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using EdgeMdm.Edge.SiteTls;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Edge.Tests;

public sealed class SiteCertificatesTests : IDisposable
{
    private static readonly string[] HostNames = ["edgemdm-lyon.local", "localhost"];
    private static readonly IPAddress[] Addresses = [IPAddress.Loopback, IPAddress.Parse("10.20.0.5")];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "edgemdm-tls-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 6, 0, 0, TimeSpan.Zero));

    [Fact]
    public void First_start_makes_an_authority_and_a_server_certificate_that_later_starts_keep()
    {
        var (pin, thumbprint) = FirstStart();

        using var again = Open();

        Assert.Equal(pin, again.Pin);
        Assert.Equal(thumbprint, again.Server.Thumbprint);
        Assert.Equal(["lock", "server.key", "server.pem", "site-ca.key", "site-ca.pem"], Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var key in Directory.GetFiles(_directory, "*.key"))
        {
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }
    }

    [Fact]
    public void The_server_certificate_is_p256_issued_by_the_authority_for_every_name_and_address()
    {
        using var site = Open();

        var server = site.Server;

        Assert.True(server.HasPrivateKey);
        Assert.Equal(256, server.GetECDsaPublicKey()!.KeySize);
        Assert.True(ChainsTo(site.Authority, server, _clock.GetUtcNow()));
        var names = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(HostNames, names.EnumerateDnsNames().Order(StringComparer.Ordinal));
        Assert.Equal(Addresses, names.EnumerateIPAddresses());
        Assert.Equal(SiteCertificates.SpkiSha256(server), site.Pin);
        Assert.True(site.Authority.NotAfter > _clock.GetUtcNow().AddYears(19).UtcDateTime);
    }

    [Fact]
    public void The_server_certificate_is_issued_again_before_it_expires_with_the_same_key_and_authority()
    {
        using var site = Open();
        var before = site.Server;
        var spki = SiteCertificates.SpkiSha256(before);

        _clock.Advance(SiteCertificates.ServerLifetime - SiteCertificates.RenewBefore - TimeSpan.FromDays(1));
        Assert.Same(before, site.Server); // not due yet
        _clock.Advance(TimeSpan.FromDays(2));
        var renewed = site.Server;

        Assert.NotEqual(before.SerialNumber, renewed.SerialNumber);
        Assert.True(renewed.NotAfter > before.NotAfter);
        Assert.Equal(spki, SiteCertificates.SpkiSha256(renewed));
        Assert.Equal(spki, site.Pin);
        Assert.True(ChainsTo(site.Authority, renewed, _clock.GetUtcNow()));
        // A year on, the renewed certificate still serves: nothing a site needs lapses while it runs.
        Assert.True(ChainsTo(site.Authority, site.Server, _clock.GetUtcNow().AddDays(90)));
    }

    [Fact]
    public void The_tls_context_is_made_once_per_certificate_and_again_after_a_renewal()
    {
        using var site = Open();
        var before = site.ServerContext;

        Assert.Same(before, site.ServerContext); // every handshake until the renewal: no chain built again
        Assert.Equal(site.Server.Thumbprint, before.TargetCertificate.Thumbprint);
        Assert.Empty(before.IntermediateCertificates); // the server certificate alone, as a pinning device expects

        _clock.Advance(SiteCertificates.ServerLifetime - SiteCertificates.RenewBefore + TimeSpan.FromDays(1));
        var renewed = site.ServerContext;

        Assert.NotSame(before, renewed);
        Assert.Equal(site.Server.Thumbprint, renewed.TargetCertificate.Thumbprint);
        Assert.NotEqual(before.TargetCertificate.Thumbprint, renewed.TargetCertificate.Thumbprint);
        Assert.Same(renewed, site.ServerContext);
    }

    [Fact]
    public void A_new_name_or_address_gets_a_new_certificate_from_the_same_authority()
    {
        var (pin, thumbprint) = FirstStart();

        using var moved = new SiteCertificates(_directory, HostNames, [IPAddress.Loopback, IPAddress.Parse("10.20.0.77")], _clock);

        Assert.Equal(pin, moved.Pin);
        Assert.NotEqual(thumbprint, moved.Server.Thumbprint);
        Assert.Contains(IPAddress.Parse("10.20.0.77"), moved.Server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses());
    }

    [Fact]
    public void A_board_booting_with_its_clock_behind_its_authority_still_gets_a_certificate_starting_with_the_authority()
    {
        // Arrange: the site was made with a right clock; the board then boots a month behind (no real-time clock) on a
        // new address, so the server certificate must be issued again
        var (pin, _) = FirstStart();
        var behind = new FakeTimeProvider(_clock.GetUtcNow().AddDays(-30));

        // Act
        using var booted = new SiteCertificates(_directory, HostNames, [IPAddress.Loopback, IPAddress.Parse("10.20.0.77")], behind);

        // Assert: the same pin, and a chain that holds once the clock is right again
        Assert.Equal(pin, booted.Pin);
        Assert.Equal(booted.Authority.NotBefore, booted.Server.NotBefore);
        Assert.True(ChainsTo(booted.Authority, booted.Server, _clock.GetUtcNow()));
    }

    [Fact]
    public async Task A_client_trusting_only_the_authority_completes_a_tls_handshake_with_the_server_certificate()
    {
        using var site = Open(TimeProvider.System);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var serving = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(accepted.GetStream());
            await tls.AuthenticateAsServerAsync(site.Server);
            await tls.WriteAsync("ok"u8.ToArray());
        });
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await using var clientTls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
            certificate is not null && ChainsTo(site.Authority, X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), DateTimeOffset.UtcNow));
        await clientTls.AuthenticateAsClientAsync("localhost");
        var buffer = new byte[2];
        await clientTls.ReadExactlyAsync(buffer);
        await serving;

        Assert.Equal("ok"u8.ToArray(), buffer);
    }

    [Fact]
    public async Task Two_at_once_on_a_new_directory_make_one_authority_and_key_and_both_see_them()
    {
        // serve and 'tls show' started together on a new data directory: whoever comes second reads the first's files.
        using var start = new Barrier(2);
        var opened = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return Open();
        })));
        try
        {
            using var again = Open();

            Assert.Equal(opened[0].Pin, opened[1].Pin);
            Assert.Equal(again.Pin, opened[0].Pin);
            Assert.Equal(opened[0].Authority.Thumbprint, opened[1].Authority.Thumbprint);
            Assert.True(ChainsTo(again.Authority, opened[0].Server, _clock.GetUtcNow()));
            Assert.True(ChainsTo(again.Authority, opened[1].Server, _clock.GetUtcNow()));
            Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
        }
        finally
        {
            foreach (var site in opened)
                site.Dispose();
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The pin and server certificate a first start left in the directory, the instance gone.</summary>
    private (string Pin, string Thumbprint) FirstStart()
    {
        using var first = Open();
        return (first.Pin, first.Server.Thumbprint);
    }

    private SiteCertificates Open(TimeProvider? clock = null) => new(_directory, HostNames, Addresses, clock ?? _clock);

    private static bool ChainsTo(X509Certificate2 authority, X509Certificate2 server, DateTimeOffset at)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        return chain.Build(server);
    }
}
