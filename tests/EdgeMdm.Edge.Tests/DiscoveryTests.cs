using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeMdm.Discovery.Dns;
using Microsoft.Extensions.Configuration;

namespace EdgeMdm.Edge.Tests;

/// <summary>What the responder advertises and where; its packets are tested for real in EdgeMdm.EndToEnd's namespace.</summary>
public sealed class DiscoveryTests
{
    private static readonly SiteIdentity Site = new("dc-lyon-01", "Lyon DC");

    private static InterfaceState Nic(int index, string name, bool up = true, bool multicast = true, params string[] addresses) =>
        new(index, name, up, multicast, addresses.Select(IPAddress.Parse).ToList());

    [Fact]
    public void By_default_every_up_multicast_interface_with_IPv4_is_served_loopback_included()
    {
        // Arrange
        InterfaceState[] system =
        [
            Nic(1, "lo", addresses: ["127.0.0.1", "::1"]),
            Nic(2, "eth0", addresses: ["10.0.0.5"]),
            Nic(3, "wlan0", up: false, addresses: ["10.1.0.5"]),
            Nic(4, "tun0", multicast: false, addresses: ["10.8.0.1"]),
            Nic(5, "eth1", addresses: ["fe80::1"]),
        ];

        // Act
        var chosen = SiteInterfaces.Choose(system, []);

        // Assert
        Assert.Equal(["lo", "eth0"], chosen.Select(nic => nic.Name));
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], chosen[0].Addresses);
    }

    [Fact]
    public void Configured_interfaces_narrow_the_choice()
    {
        InterfaceState[] system = [Nic(1, "lo", addresses: "127.0.0.1"), Nic(2, "eth0", addresses: "10.0.0.5"), Nic(3, "wlan0", addresses: "10.1.0.5")];

        var chosen = SiteInterfaces.Choose(system, ["wlan0", "eth9"]);

        Assert.Equal("wlan0", Assert.Single(chosen).Name);
    }

    [Fact]
    public void A_listener_on_one_address_is_announced_only_where_that_address_is()
    {
        // Arrange
        InterfaceState[] system = [Nic(1, "lo", addresses: ["127.0.0.1", "::1"]), Nic(2, "eth0", addresses: ["10.0.0.5", "fe80::5"])];
        var chosen = SiteInterfaces.Choose(system, []);

        // Act
        var loopbackOnly = SiteInterfaces.Reachable(chosen, SiteInterfaces.ListeningAddresses(["http://127.0.0.1:8080"]));
        var localhost = SiteInterfaces.Reachable(chosen, SiteInterfaces.ListeningAddresses(["http://localhost:5000"]));
        var onEth0 = SiteInterfaces.Reachable(chosen, SiteInterfaces.ListeningAddresses(["http://10.0.0.5:8080", "https://[fe80::5]:8443"]));

        // Assert
        Assert.Equal([IPAddress.Loopback], Assert.Single(loopbackOnly).Addresses);
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], Assert.Single(localhost).Addresses);
        Assert.Equal("eth0", Assert.Single(onEth0).Name);
        Assert.Equal(2, onEth0[0].Addresses.Count);
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://[::]:8080")]
    [InlineData("http://*:8080")]
    [InlineData("http://+:8080")]
    [InlineData("http://appliance.example:8080")]
    public void A_wildcard_listener_is_announced_everywhere(string url) =>
        Assert.Null(SiteInterfaces.ListeningAddresses(["http://127.0.0.1:9000", url]));

    private static ServedState Served(EdgeMdm.Discovery.Service.MdnsResponder? responder, params SiteInterface[] interfaces) =>
        new(responder, interfaces.ToDictionary(nic => nic.Index));

    private static SiteInterface Served(int index, string name, params string[] addresses) =>
        new(index, name, addresses.Select(IPAddress.Parse).ToList());

    private static EdgeMdm.Discovery.Service.MdnsResponder Responder(string siteName) =>
        new(ServiceAdvertisement.For(Site with { Name = siteName }, new MdnsOptions(), ["http://0.0.0.0:8080"], () => null)!);

    [Fact]
    public void The_first_look_announces_on_every_interface_and_an_unchanged_one_sends_nothing()
    {
        // Arrange
        var responder = Responder("Lyon DC");
        var state = Served(responder, Served(1, "lo", "127.0.0.1"), Served(2, "eth0", "10.0.0.5"));

        // Act
        var first = RefreshPlan.Between(ServedState.Nothing, state);
        var again = RefreshPlan.Between(state, state with { });

        // Assert
        Assert.Equal(["lo", "eth0"], first.AnnounceOn.Select(nic => nic.Name));
        Assert.Null(first.GoodbyeFrom);
        Assert.Empty(again.AnnounceOn);
        Assert.Empty(again.GoodbyeOn);
    }

    [Fact]
    public void A_new_interface_or_a_changed_address_is_announced_alone()
    {
        var responder = Responder("Lyon DC");
        var before = Served(responder, Served(1, "lo", "127.0.0.1"), Served(2, "eth0", "10.0.0.5"));
        var after = Served(responder, Served(1, "lo", "127.0.0.1"), Served(2, "eth0", "10.0.0.6"), Served(3, "wlan0", "10.1.0.5"));

        var plan = RefreshPlan.Between(before, after);

        Assert.Equal(["eth0", "wlan0"], plan.AnnounceOn.Select(nic => nic.Name));
        Assert.Empty(plan.GoodbyeOn);
    }

    [Fact]
    public void A_changed_site_says_goodbye_with_the_old_records_where_they_were_served_then_announces_everywhere()
    {
        // Arrange: the hub names the site after it started as "unnamed"; eth0 went away meanwhile.
        var unnamed = Responder("unnamed");
        var named = Responder("Lyon DC");
        var before = Served(unnamed, Served(1, "lo", "127.0.0.1"), Served(2, "eth0", "10.0.0.5"));
        var after = Served(named, Served(1, "lo", "127.0.0.1"), Served(3, "wlan0", "10.1.0.5"));

        // Act
        var plan = RefreshPlan.Between(before, after);

        // Assert
        Assert.Same(unnamed, plan.GoodbyeFrom);
        Assert.Equal(["lo"], plan.GoodbyeOn.Select(nic => nic.Name));
        Assert.Same(named, plan.AnnounceWith);
        Assert.Equal(["lo", "wlan0"], plan.AnnounceOn.Select(nic => nic.Name));
    }

    [Fact]
    public void Nothing_is_announced_while_there_is_nothing_to_advertise()
    {
        var plan = RefreshPlan.Between(ServedState.Nothing, Served(null, Served(1, "lo", "127.0.0.1")));

        Assert.Empty(plan.AnnounceOn);
        Assert.Null(plan.GoodbyeFrom);
    }

    [Fact]
    public void The_advertisement_names_the_site_and_the_port_Kestrel_listens_on()
    {
        // Act
        var service = ServiceAdvertisement.For(Site, new MdnsOptions(), ["http://127.0.0.1:43211"], () => "unused")!;

        // Assert
        Assert.Equal("Lyon DC", service.InstanceName);
        Assert.Equal(DnsName.Parse("edgemdm-dc-lyon-01.local"), service.HostName);
        Assert.Equal(43211, service.Port);
        Assert.Equal("dc-lyon-01", service.SiteId);
        Assert.Equal("/", service.ApiBasePath);
        Assert.Null(service.TlsSpkiSha256);
        Assert.Matches(@"^\d+\.\d+\.\d+", service.Version);
    }

    [Fact]
    public void An_https_listener_is_preferred_and_brings_its_certificate_fingerprint()
    {
        var service = ServiceAdvertisement.For(Site, new MdnsOptions(), ["http://[::]:8080", "https://*:8443"], () => "ab12")!;

        Assert.Equal(8443, service.Port);
        Assert.Equal("ab12", service.TlsSpkiSha256);
    }

    [Fact]
    public void Options_override_instance_host_and_path_and_nothing_is_advertised_without_a_listener()
    {
        var options = new MdnsOptions { InstanceName = "Dock 4", HostName = "dock4", ApiBasePath = "/mdm" };

        var service = ServiceAdvertisement.For(null, options, ["http://0.0.0.0:80"], () => null)!;

        Assert.Equal("Dock 4", service.InstanceName);
        Assert.Equal(DnsName.Parse("dock4.local"), service.HostName);
        Assert.Equal("/mdm", service.ApiBasePath);
        Assert.Equal(ISiteIdentity.UnnamedSite, service.SiteId);
        Assert.Null(ServiceAdvertisement.For(Site, options, [], () => null));
    }

    [Theory]
    [InlineData("edgemdm-DC Lyon/01", "edgemdm-dc-lyon-01")]
    [InlineData("--été--", "t")]
    [InlineData("***", "edgemdm")]
    public void Host_labels_keep_letters_digits_and_inner_hyphens(string text, string label) =>
        Assert.Equal(label, ServiceAdvertisement.HostLabel(text));

    [Fact]
    public void The_fingerprint_is_the_key_pin_of_the_certificate_Kestrel_is_configured_with_else_the_site_s()
    {
        // Arrange
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=edgemdm-test", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(Path.GetTempPath(), "edgemdm-cert-" + Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(path, certificate.ExportCertificatePem());
        try
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?>(StringComparer.Ordinal) { ["Kestrel:Certificates:Default:Path"] = path })
                .Build();

            // Act
            var fingerprint = ServiceAdvertisement.ServedPin(configuration, () => "the site's own");

            // Assert
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo())), fingerprint);
            Assert.Equal("the site's own", ServiceAdvertisement.ServedPin(new ConfigurationBuilder().Build(), () => "the site's own"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("HostName", "dock4.local")]
    [InlineData("HostName", "-dock")]
    [InlineData("ApiBasePath", "mdm")]
    [InlineData("InstanceName", "")]
    public void Bad_discovery_settings_stop_the_start(string setting, string value)
    {
        // Arrange
        var options = new MdnsOptions();
        typeof(MdnsOptions).GetProperty(setting)!.SetValue(options, value);

        // Act
        var result = new MdnsOptionsValidator().Validate(null, options);

        // Assert
        Assert.True(result.Failed);
        Assert.Contains("Edge:Mdns:" + setting, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10_001)]
    public void A_unicast_reply_rate_out_of_range_stops_the_start(int perSecond)
    {
        var result = new MdnsOptionsValidator().Validate(null, new MdnsOptions { UnicastRepliesPerSecondPerSource = perSecond });

        Assert.Contains("Edge:Mdns:UnicastRepliesPerSecondPerSource must be between 0 (no limit) and 10000", result.FailureMessage, StringComparison.Ordinal);
    }
}
