using System.Net;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.Discovery.Service;

namespace EdgeMdm.Discovery.Tests;

public sealed class MulticastPacerTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);
    private static readonly EdgeMdmService Service = new("Lyon DC", DnsName.Parse("edgemdm-lyon.local"), 8080, "lyon", "/", "1.0.0", null);
    private static readonly DnsResourceRecord Pointer = Service.InstancePointer(4500);
    private static readonly DnsResourceRecord Address = Service.Address(IPAddress.Parse("10.0.0.5"), 120);

    [Fact]
    public void A_record_is_multicast_on_an_interface_at_most_once_a_second()
    {
        // Arrange
        var pacer = new MulticastPacer();

        // Act
        var first = pacer.Due(2, [Pointer], Start);
        var flood = Enumerable.Range(1, 99).Select(ms => pacer.Due(2, [Pointer], Start.AddMilliseconds(ms * 10))).ToList();
        var later = pacer.Due(2, [Pointer], Start.AddSeconds(1));

        // Assert
        Assert.Single(first);
        Assert.All(flood, Assert.Empty);
        Assert.Single(later);
    }

    [Fact]
    public void Interfaces_and_records_are_paced_apart()
    {
        var pacer = new MulticastPacer();
        pacer.Due(2, [Pointer], Start);

        Assert.Single(pacer.Due(3, [Pointer], Start));
        Assert.Equal([Address], pacer.Due(2, [Pointer, Address], Start.AddMilliseconds(100)));
    }
}
