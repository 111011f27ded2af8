using System.Net;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.Discovery.Service;

namespace EdgeMdm.Discovery.Tests;

/// <summary>
/// A receive loop's decisions from the bytes of a query to the bytes of the reply (the appliance's responder service
/// only moves them over its socket): unicast replies bounded per source address, multicast ones paced.
/// </summary>
public sealed class MdnsQueryHandlerTests
{
    private const int PerSecond = 10;
    private static readonly DateTimeOffset At = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly IPAddress[] Addresses = [IPAddress.Parse("10.20.0.5")];
    private static readonly IPEndPoint Flooder = new(IPAddress.Parse("10.20.0.66"), 41234);
    private static readonly IPEndPoint Device = new(IPAddress.Parse("10.20.0.7"), 41234);

    private readonly MdnsResponder _responder = new(new EdgeMdmService(
        "Lyon DC", DnsName.Parse("edgemdm-dc-lyon-01.local"), 8080, "dc-lyon-01", "/", "1.2.0", null));

    private readonly MdnsQueryHandler _handler = new(PerSecond);

    /// <summary>A browse for the service, as a legacy resolver (dig) or a QU querier sends it.</summary>
    private static byte[] Browse(bool unicastBit = false) => DnsMessageWriter.Write(new DnsMessage(
        0x1234, DnsHeaderBits.None, [new DnsQuestion(EdgeMdmService.ServiceType, DnsRecordType.NamePointer, DnsClass.Internet, unicastBit)], [], [], []));

    private MdnsHandled Receive(byte[] query, IPEndPoint source, DateTimeOffset now) =>
        _handler.Handle(_responder, query, source, interfaceIndex: 2, Addresses, now);

    [Fact]
    public void Unicast_replies_to_one_source_stop_at_the_limit_for_the_rest_of_the_second_while_others_are_answered()
    {
        // Act: a burst of legacy queries from one address within a second, a device asking meanwhile, the flooder a second later
        var burst = Enumerable.Range(0, 3 * PerSecond).Select(i => Receive(Browse(), Flooder, At.AddMilliseconds(i * 10))).ToList();
        var device = Receive(Browse(), Device, At.AddMilliseconds(500));
        var later = Receive(Browse(), Flooder, At.AddSeconds(1).AddMilliseconds(1));

        // Assert
        Assert.All(burst.Take(PerSecond), handled => Assert.Equal(ReplyDestination.QuerierUnicast, handled.Destination));
        Assert.All(burst.Take(PerSecond), handled => Assert.False(handled.Limited));
        Assert.All(burst.Take(PerSecond), handled => Assert.NotNull(handled.Packet));
        Assert.All(burst.Skip(PerSecond), handled => Assert.Equal((null, true), (handled.Packet, handled.Limited)));
        Assert.Equal(0x1234, DnsMessageReader.Read(device.Packet).Message!.Id);
        Assert.NotNull(later.Packet);
    }

    [Fact]
    public void QU_questions_from_the_mdns_port_count_against_the_same_limit()
    {
        // Act
        var replies = Enumerable.Range(0, PerSecond + 1)
            .Select(_ => Receive(Browse(unicastBit: true), new IPEndPoint(Flooder.Address, MdnsResponder.MdnsPort), At))
            .ToList();

        // Assert
        Assert.Equal(PerSecond, replies.Count(handled => handled.Packet is not null));
        Assert.True(replies[^1].Limited);
    }

    [Fact]
    public void Multicast_answers_are_paced_not_limited_per_source()
    {
        // Act: the same multicast question twice within a second, then after it
        var first = Receive(Browse(), new IPEndPoint(Flooder.Address, MdnsResponder.MdnsPort), At);
        var repeat = Receive(Browse(), new IPEndPoint(Device.Address, MdnsResponder.MdnsPort), At.AddMilliseconds(200));
        var next = Receive(Browse(), new IPEndPoint(Device.Address, MdnsResponder.MdnsPort), At.AddSeconds(1));

        // Assert
        Assert.Equal(ReplyDestination.Multicast, first.Destination);
        Assert.NotNull(first.Packet);
        Assert.Equal((null, false), (repeat.Packet, repeat.Limited));
        Assert.NotNull(next.Packet);
    }

    [Fact]
    public void A_zero_limit_answers_every_unicast_query()
    {
        var unlimited = new MdnsQueryHandler(0);

        var replies = Enumerable.Range(0, 100).Select(_ => unlimited.Handle(_responder, Browse(), Flooder, 2, Addresses, At)).ToList();

        Assert.All(replies, handled => Assert.NotNull(handled.Packet));
    }

    [Fact]
    public void A_flood_from_more_sources_than_are_remembered_is_refused_for_that_second_and_memory_stays_bounded()
    {
        // Arrange: every remembered place taken within one second
        var limit = new UnicastReplyLimit(PerSecond);
        var sources = Enumerable.Range(0, UnicastReplyLimit.MaxRemembered).Select(i => new IPAddress(0x0A000000u + (uint)i)).ToList();
        Assert.All(sources, source => Assert.True(limit.Allow(source, At)));

        // Act
        var newcomer = IPAddress.Parse("192.168.1.9");
        var duringFlood = limit.Allow(newcomer, At.AddMilliseconds(900));
        var known = limit.Allow(sources[0], At.AddMilliseconds(900));
        var afterIt = limit.Allow(newcomer, At.AddSeconds(1));

        // Assert
        Assert.Equal((false, true, true), (duringFlood, known, afterIt));
    }

    [Fact]
    public void A_malformed_packet_is_reported_not_thrown()
    {
        var handled = Receive([0, 0, 0], Device, At);

        Assert.Null(handled.Packet);
        Assert.Contains("header truncated", handled.Problem, StringComparison.Ordinal);
    }
}
