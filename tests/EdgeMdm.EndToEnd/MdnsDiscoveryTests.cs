using System.Net.Sockets;
using System.Text.RegularExpressions;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.Discovery.Service;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// The appliance's mDNS responder, run for real inside a network namespace of the test's own, queried by Debian's
/// dig and heard by a plain socket in the same namespace.
/// </summary>
public sealed class MdnsDiscoveryTests
{
    internal static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public async Task Dig_in_the_namespace_sees_PTR_SRV_TXT_and_A()
    {
        // Arrange
        using var ns = await NetworkNamespace.CreateOrSkipAsync("dig");
        await using var appliance = await NamespacedAppliance.StartAsync(ns);

        // Act
        var dig = await ns.RunAsync("dig", ["-p", "5353", "@127.0.0.1", "_edgemdm._tcp.local", "PTR", "+time=2", "+tries=3"], Patience);

        // Assert
        var output = dig.Stdout;
        Assert.True(dig.ExitCode == 0, output + dig.Stderr);
        Assert.Matches(@"_edgemdm\._tcp\.local\.\s+\d+\s+IN\s+PTR\s+Demo\\032distribution\\032centre\._edgemdm\._tcp\.local\.", output);
        Assert.Matches(@"\._edgemdm\._tcp\.local\.\s+\d+\s+IN\s+SRV\s+0 0 8443 edgemdm-dc-demo-01\.local\.", output);
        Assert.Matches(@"IN\s+TXT\s+""txtvers=1"" ""site=dc-demo-01"" ""path=/"" ""version=[0-9.]+""", output);
        Assert.Matches(@"edgemdm-dc-demo-01\.local\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1", output);
        Assert.Contains("status: NOERROR", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Each_interface_is_answered_with_its_own_address_and_a_device_across_the_link_finds_the_appliance()
    {
        // Arrange: the appliance's namespace and a device's, joined by a veth pair: the site Wi-Fi in miniature.
        using var site = await NetworkNamespace.CreateOrSkipAsync("dig");
        using var device = await NetworkNamespace.CreateOrSkipAsync("dig");
        await site.LinkAsync("10.9.0.1/24", device, "10.9.0.2/24");
        await using var appliance = await NamespacedAppliance.StartAsync(site, "https://0.0.0.0:8443");
        using var files = new TempDirectory();
        var state = Path.Combine(files.Path, "state.json");

        // Act
        var fromDevice = await device.RunAsync("dig", ["-p", "5353", "@10.9.0.1", "edgemdm-dc-demo-01.local", "A", "+time=2", "+tries=3"], Patience);
        var onLoopback = await site.RunAsync("dig", ["-p", "5353", "@127.0.0.1", "edgemdm-dc-demo-01.local", "A", "+time=2", "+tries=3"], Patience);
        var enroll = await device.RunAsync("dotnet", [Processes.AgentDll, "enroll", "--token", Processes.SeedToken, "--serial", "VETH-0001", "--state", state], Patience);

        // Assert: IP_PKTINFO picks the arrival interface, and only its address is given out there.
        Assert.Matches(@"edgemdm-dc-demo-01\.local\.\s+\d+\s+IN\s+A\s+10\.9\.0\.1", fromDevice.Stdout);
        Assert.DoesNotContain("127.0.0.1", fromDevice.Stdout.Split("ANSWER SECTION")[^1], StringComparison.Ordinal);
        Assert.Matches(@"edgemdm-dc-demo-01\.local\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1", onLoopback.Stdout);
        Assert.DoesNotContain("10.9.0.1", onLoopback.Stdout.Split("ANSWER SECTION")[^1], StringComparison.Ordinal);
        Assert.True(enroll.ExitCode == 0, enroll.Stderr + appliance.Log);
        Assert.Contains("at https://10.9.0.1:8443/", enroll.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Announcements_cross_the_link_over_IPv6_too()
    {
        // Arrange: addresses without duplicate address detection, so they are usable at once.
        using var site = await NetworkNamespace.CreateOrSkipAsync();
        using var device = await NetworkNamespace.CreateOrSkipAsync();
        await site.LinkAsync("10.9.0.1/24", device, "10.9.0.2/24");
        await site.IpAsync("-6", "addr", "add", "fd00:9::1/64", "dev", "mdns0", "nodad");
        await device.IpAsync("-6", "addr", "add", "fd00:9::2/64", "dev", "mdns0", "nodad");
        await using var heard = new MdnsListener(await device.OpenMdnsListenerV6Async("mdns0"));

        // Act
        await using var appliance = await NamespacedAppliance.StartAsync(site, "https://[::]:8443");
        var announcements = await heard.WaitForAsync(messages => messages.Any(IsAnnouncement), "an announcement over IPv6", appliance);

        // Assert: heard on ff02::fb across the link, carrying that link's addresses.
        var announcement = announcements.First(IsAnnouncement);
        Assert.Contains(announcement.Answers, r => r.Data is AddressRecordData a && a.Address.Equals(IPAddress.Parse("fd00:9::1")));
        Assert.Contains(announcement.Answers, r => r.Data is AddressRecordData a && a.Address.Equals(IPAddress.Parse("10.9.0.1")));
    }

    [SkippableFact]
    public async Task Dig_over_IPv6_gets_the_same_answer_with_the_interface_addresses()
    {
        // Arrange
        using var ns = await NetworkNamespace.CreateOrSkipAsync("dig");
        await using var appliance = await NamespacedAppliance.StartAsync(ns, "https://[::]:8443"); // every address, ::1 too

        // Act
        var dig = await ns.RunAsync("dig", ["-p", "5353", "@::1", "_edgemdm._tcp.local", "PTR", "+time=2", "+tries=3"], Patience);

        // Assert
        Assert.True(dig.ExitCode == 0, dig.Stdout + dig.Stderr + appliance.Log);
        Assert.Matches(@"edgemdm-dc-demo-01\.local\.\s+\d+\s+IN\s+AAAA\s+::1", dig.Stdout);
        Assert.Matches(@"edgemdm-dc-demo-01\.local\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1", dig.Stdout);
        Assert.Contains("SERVER: ::1#5353", dig.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_appliance_announces_twice_at_start_and_says_goodbye_on_stop()
    {
        // Arrange: listen before the appliance starts, so its first announcement is heard.
        using var ns = await NetworkNamespace.CreateOrSkipAsync();
        await using var heard = new MdnsListener(ns.OpenMdnsListener());
        await using var appliance = await NamespacedAppliance.StartAsync(ns);

        // Act
        var announcements = await heard.WaitForAsync(messages => messages.Count(IsAnnouncement) >= 2, "two announcements", appliance);
        await appliance.StopAsync();
        await heard.WaitForAsync(messages => messages.Any(IsGoodbye), "a goodbye", appliance);

        // Assert
        var announcement = announcements.First(IsAnnouncement);
        Assert.Contains(announcement.Answers, r => r.Type == DnsRecordType.Srv && r.Data is SrvRecordData { Port: 8443 } && r.CacheFlush);
        Assert.Contains(announcement.Answers, r => r.Data is AddressRecordData a && a.Address.Equals(IPAddress.Loopback));
        var goodbye = heard.Messages().First(IsGoodbye);
        Assert.All(goodbye.Answers, r => Assert.Equal(0u, r.Ttl));
        Assert.Equal(announcement.Answers.Select(r => (r.Name, r.Type)), goodbye.Answers.Select(r => (r.Name, r.Type)));
    }

    [SkippableFact]
    public async Task A_new_address_is_announced()
    {
        // Arrange
        using var ns = await NetworkNamespace.CreateOrSkipAsync();
        await using var heard = new MdnsListener(ns.OpenMdnsListener());
        await using var appliance = await NamespacedAppliance.StartAsync(ns, "https://0.0.0.0:8443"); // every address, new ones too
        await heard.WaitForAsync(messages => messages.Count(IsAnnouncement) >= 2, "two announcements", appliance);
        var added = IPAddress.Parse("10.77.0.1");

        // Act
        var result = await ns.RunAsync("ip", ["addr", "add", "10.77.0.1/32", "dev", "lo"], Patience);

        // Assert
        Assert.Equal(0, result.ExitCode);
        var after = await heard.WaitForAsync(
            messages => messages.Any(m => IsAnnouncement(m) && m.Answers.Any(r => r.Data is AddressRecordData a && a.Address.Equals(added))),
            "an announcement of 10.77.0.1",
            appliance);
        Assert.Contains(after, m => IsAnnouncement(m) && m.Answers.Any(r => r.Data is AddressRecordData a && a.Address.Equals(IPAddress.Loopback)));
    }

    [SkippableFact]
    public async Task A_flood_of_queries_gets_at_most_one_multicast_answer_a_second()
    {
        // Arrange
        using var ns = await NetworkNamespace.CreateOrSkipAsync();
        await using var heard = new MdnsListener(ns.OpenMdnsListener());
        await using var appliance = await NamespacedAppliance.StartAsync(ns);
        await heard.WaitForAsync(messages => messages.Count(IsAnnouncement) >= 2, "two announcements", appliance);
        await Task.Delay(1100); // the announcements' second is over
        var before = heard.Messages().Count;
        var query = DnsMessageWriter.Write(ApplianceBrowser.BrowseQuery(0));

        // Act: 100 multicast queries from port 5353 in about half a second, each asking for a multicast answer.
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < 100; i++)
        {
            await heard.Socket.SendToAsync(query, SocketFlags.None, new IPEndPoint(IPAddress.Parse("224.0.0.251"), 5353));
            await Task.Delay(5);
        }

        var floodSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await Task.Delay(1000);

        // Assert
        var answers = heard.Messages().Skip(before).Where(m => m.IsResponse).ToList();
        Assert.InRange(answers.Count, 1, (int)Math.Ceiling(floodSeconds) + 1);
    }

    [SkippableFact]
    public async Task Garbage_on_the_mDNS_port_is_dropped_and_the_responder_keeps_answering()
    {
        // Arrange: from an ephemeral port, so the bytes go to the responder alone.
        using var ns = await NetworkNamespace.CreateOrSkipAsync("dig");
        await using var appliance = await NamespacedAppliance.StartAsync(ns, "https://127.0.0.1:8443", "--Logging:LogLevel:EdgeMdm.Edge.Discovery", "Debug");
        using var sender = ns.OpenUdpSocket(socket => socket.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        var target = new IPEndPoint(IPAddress.Loopback, 5353);
        var random = new Random(1035);
        byte[][] hostile =
        [
            [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 12, 0, 1],              // question named by a pointer to itself
            [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, 1, 2],                          // label running past the end
            [1, 2, 3],                                                               // not even a header
            [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],            // counts for records that are not there
        ];

        // Act
        foreach (var packet in hostile)
            await sender.SendToAsync(packet, SocketFlags.None, target);
        for (var i = 0; i < 500; i++)
        {
            var junk = new byte[random.Next(1, 600)];
            random.NextBytes(junk);
            await sender.SendToAsync(junk, SocketFlags.None, target);
        }

        var dig = await ns.RunAsync("dig", ["-p", "5353", "@127.0.0.1", "edgemdm-dc-demo-01.local", "A", "+time=2", "+tries=3"], Patience);

        // Assert
        Assert.Matches(@"edgemdm-dc-demo-01\.local\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1", dig.Stdout);
        Assert.False(appliance.HasExited, appliance.Log);
        await appliance.WaitForLogAsync("does not point strictly backwards"); // the console logger writes behind
        Assert.Contains("does not point strictly backwards", appliance.Log, StringComparison.Ordinal);
        Assert.Matches(@"mDNS: dropped a bad packet from 127\.0\.0\.1:\d+: .* \(\d{2,} so far\)", appliance.Log);
    }

    [SkippableFact]
    public async Task The_agent_finds_the_appliance_by_mDNS_and_enrolls_without_a_URL()
    {
        // Arrange
        using var ns = await NetworkNamespace.CreateOrSkipAsync();
        await using var appliance = await NamespacedAppliance.StartAsync(ns);
        using var device = new TempDirectory();
        var state = Path.Combine(device.Path, "state.json");

        // Act
        var enroll = await ns.RunAsync("dotnet", [Processes.AgentDll, "enroll", "--token", Processes.SeedToken, "--serial", "MDNS-0001", "--state", state], Patience);

        // Assert
        Assert.True(enroll.ExitCode == 0, enroll.Stderr + appliance.Log);
        Assert.Contains("found Demo distribution centre (site dc-demo-01) at https://127.0.0.1:8443/, certificate pinned", enroll.Stderr, StringComparison.Ordinal);
        var saved = await File.ReadAllTextAsync(state);
        Assert.Contains("\"server\": \"https://127.0.0.1:8443/\"", saved, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"\"tlsSpkiSha256\": \"{appliance.Pin}\"", saved, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public async Task Over_TLS_the_agent_pins_the_advertised_certificate_and_trusts_no_other()
    {
        // Arrange: a self-signed certificate, as a site appliance has; no CA would vouch for it.
        using var ns = await NetworkNamespace.CreateOrSkipAsync();
        using var files = new TempDirectory();
        Directory.CreateDirectory(files.Path);
        var (certificatePath, keyPath, fingerprint) = SelfSignedCertificate(files.Path);
        await using var appliance = await NamespacedAppliance.StartAsync(ns, "https://127.0.0.1:8443",
            "--Kestrel:Certificates:Default:Path", certificatePath, "--Kestrel:Certificates:Default:KeyPath", keyPath);
        var state = Path.Combine(files.Path, "state.json");

        // Act
        var enroll = await ns.RunAsync("dotnet", [Processes.AgentDll, "enroll", "--token", Processes.SeedToken, "--serial", "MDNS-TLS-1", "--state", state], Patience);
        var unpinned = await ns.RunAsync("dotnet",
            [Processes.AgentDll, "enroll", "--server", "https://127.0.0.1:8443", "--token", Processes.SeedToken, "--serial", "MDNS-TLS-2", "--state", Path.Combine(files.Path, "other.json")],
            Patience);

        // Assert
        Assert.True(enroll.ExitCode == 0, enroll.Stderr + appliance.Log);
        Assert.Contains("at https://127.0.0.1:8443/, certificate pinned", enroll.Stderr, StringComparison.Ordinal);
        Assert.Contains(fingerprint, await File.ReadAllTextAsync(state), StringComparison.Ordinal);
        Assert.NotEqual(0, unpinned.ExitCode);
    }

    private static (string Certificate, string Key, string Pin) SelfSignedCertificate(string directory)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            "CN=edgemdm-dc-demo-01.local", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certificatePath = Path.Combine(directory, "appliance.crt");
        var keyPath = Path.Combine(directory, "appliance.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath, EdgeMdm.Discovery.Service.TlsPin.Of(certificate));
    }

    private static bool IsAnnouncement(DnsMessage message) =>
        message.IsResponse && message.Answers.Any(r => r.Name.Equals(EdgeMdmService.ServiceType) && r.Ttl > 0);

    private static bool IsGoodbye(DnsMessage message) =>
        message.IsResponse && message.Answers.Any(r => r.Name.Equals(EdgeMdmService.ServiceType)) && message.Answers.All(r => r.Ttl == 0);
}
