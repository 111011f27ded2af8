using System.Net;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.Discovery.Service;

namespace EdgeMdm.Discovery.Tests;

public sealed class ApplianceBrowserTests
{
    private static readonly IPAddress[] Addresses = [IPAddress.Parse("fe80::5"), IPAddress.Parse("10.20.0.5")];

    private static EdgeMdmService Service(string? fingerprint = null, string path = "/") =>
        new("Lyon DC", DnsName.Parse("edgemdm-dc-lyon-01.local"), 8443, "dc-lyon-01", path, "1.2.0", fingerprint);

    /// <summary>What a responder answers to the browse query, through the wire and back.</summary>
    private static DnsMessage Answer(EdgeMdmService service)
    {
        var reply = new MdnsResponder(service).Respond(ApplianceBrowser.BrowseQuery(77), 50000, Addresses)!;
        return DnsMessageReader.Read(DnsMessageWriter.Write(reply.Message)).Message!;
    }

    [Fact]
    public void A_browse_answer_resolves_to_the_device_API_over_IPv4()
    {
        // Act
        var found = Assert.Single(ApplianceBrowser.Resolve(Answer(Service())));

        // Assert
        Assert.Equal(new Uri("http://10.20.0.5:8443/"), found.BaseUrl);
        Assert.Equal("Lyon DC", found.InstanceName);
        Assert.Equal("dc-lyon-01", found.SiteId);
        Assert.Equal("1.2.0", found.Version);
        Assert.Null(found.TlsSpkiSha256);
    }

    [Fact]
    public void A_fingerprint_means_https_and_the_path_is_kept()
    {
        var found = Assert.Single(ApplianceBrowser.Resolve(Answer(Service("ABCDEF01", "/mdm"))));

        Assert.Equal(new Uri("https://10.20.0.5:8443/mdm/"), found.BaseUrl);
        Assert.Equal("abcdef01", found.TlsSpkiSha256);
    }

    [Fact]
    public void Incomplete_answers_queries_and_goodbyes_find_nothing()
    {
        var complete = Answer(Service());
        var withoutSrv = complete with { Additionals = complete.Additionals.Where(r => r.Type != DnsRecordType.Srv).ToList() };
        var withoutIPv4 = complete with { Additionals = complete.Additionals.Where(r => r.Type != DnsRecordType.A).ToList() };
        var goodbye = new MdnsResponder(Service()).Goodbye(Addresses);

        Assert.Empty(ApplianceBrowser.Resolve(withoutSrv));
        Assert.Empty(ApplianceBrowser.Resolve(withoutIPv4));
        Assert.Empty(ApplianceBrowser.Resolve(ApplianceBrowser.BrowseQuery(1)));
        Assert.Empty(ApplianceBrowser.Resolve(goodbye));
    }
}
