using System.Net;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.Discovery.Service;

namespace EdgeMdm.Discovery.Tests;

/// <summary>
/// Seeded fuzzing of the reader: random bytes and mutations of real packets. Nothing may escape it, and its work
/// must stay linear in the packet's length whatever the compression pointers say.
/// </summary>
public sealed class FuzzTests
{
    private const int Iterations = 200_000;

    /// <summary>Per byte of packet: a name starting there reads at most 127 labels, 16 pointers and a root.</summary>
    private const int MaxWorkPerByte = 127 + DnsMessageReader.MaxJumpsPerName + 1;

    [Fact]
    public void Random_bytes_never_escape_the_reader_and_work_stays_bounded()
    {
        // Arrange
        var random = new Random(20261124);
        var buffer = new byte[700];

        for (var i = 0; i < Iterations; i++)
        {
            var length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));

            // Bias towards headers that announce records and bytes that look like pointers and short labels.
            if (length >= 12 && i % 2 == 0)
            {
                buffer[4] = 0;
                buffer[5] = (byte)random.Next(4);
                buffer[7] = (byte)random.Next(8);
                for (var j = 12; j < length; j += random.Next(1, 8))
                    buffer[j] = random.Next(3) switch { 0 => (byte)(0xC0 | random.Next(2)), 1 => (byte)random.Next(8), _ => buffer[j] };
            }

            // Act
            var result = DnsMessageReader.Read(buffer.AsSpan(0, length));

            // Assert
            AssertBounded(result, length);
        }
    }

    [Fact]
    public void Mutated_valid_packets_never_escape_the_reader_and_work_stays_bounded()
    {
        // Arrange: what our responder sends and receives, then flipped, overwritten, cut and spliced bytes.
        var service = new EdgeMdmService("Lyon DC", DnsName.Parse("edgemdm-lyon.local"), 8080, "dc-lyon-01", "/", "1.0.0", new string('a', 64));
        var responder = new MdnsResponder(service);
        IPAddress[] addresses = [IPAddress.Parse("10.0.0.5"), IPAddress.Parse("fe80::5")];
        byte[][] seeds =
        [
            DnsMessageWriter.Write(responder.Announcement(addresses)),
            DnsMessageWriter.Write(responder.Respond(Query(EdgeMdmService.ServiceType, DnsRecordType.NamePointer), 40000, addresses)!.Message),
            DnsMessageWriter.Write(Query(service.InstanceFullName, DnsRecordType.Any)),
        ];
        var random = new Random(6762);
        var parsedClean = 0;

        for (var i = 0; i < Iterations; i++)
        {
            var packet = (byte[])seeds[i % seeds.Length].Clone();
            var mutations = random.Next(1, 6);
            for (var m = 0; m < mutations; m++)
            {
                var at = random.Next(packet.Length);
                switch (random.Next(5))
                {
                    case 0:
                        packet[at] ^= (byte)(1 << random.Next(8));
                        break;
                    case 1:
                        packet[at] = (byte)random.Next(256);
                        break;
                    case 2:
                        packet[at] = (byte)(0xC0 | random.Next(4));
                        if (at + 1 < packet.Length)
                            packet[at + 1] = (byte)random.Next(256);
                        break;
                    case 3:
                        packet = packet[..at];
                        break;
                    default:
                        var from = random.Next(packet.Length);
                        var count = random.Next(Math.Min(40, packet.Length - from));
                        packet = [.. packet[..at], .. packet.AsSpan(from, count), .. packet[at..]];
                        break;
                }

                if (packet.Length == 0)
                    break;
            }

            // Act
            var result = DnsMessageReader.Read(packet);

            // Assert
            AssertBounded(result, packet.Length);
            if (result.IsClean)
                parsedClean++;
        }

        // Some mutations leave a packet sound (a changed TTL, id, address): the fuzzer reached deep code too.
        Assert.InRange(parsedClean, 1, Iterations - 1);
    }

    [Fact]
    public void The_worst_packet_for_pointers_costs_no_more_than_the_bound()
    {
        // Arrange: a name of three 63-byte labels, then as many records as fit in 9000 bytes (the mDNS maximum),
        // each named by a pointer to its last label: every one costs a jump and a label, not the whole name again.
        List<byte> packet = [0, 0, 0x84, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        for (var i = 0; i < 3; i++)
            packet.AddRange([63, .. Enumerable.Repeat((byte)'x', 63)]);
        packet.AddRange([0, 0, 99, 0, 1, 0, 0, 0, 1, 0, 0]);
        var records = 1;
        while (packet.Count + 12 <= 9000)
        {
            packet.AddRange([0xC0, 12 + 64 + 64, 0, 99, 0, 1, 0, 0, 0, 1, 0, 0]);
            records++;
        }

        packet[6] = (byte)(records >> 8);
        packet[7] = (byte)records;

        // Act
        var result = DnsMessageReader.Read(packet.ToArray());

        // Assert
        Assert.True(result.IsClean, string.Join("; ", result.Problems.Take(3)));
        Assert.Equal(records, result.Message!.Answers.Count);
        Assert.True(result.Work <= (3 * records) + 1, $"work {result.Work} for {records} records: names are read again");
    }

    private static DnsMessage Query(DnsName name, DnsRecordType type) => new(99, DnsHeaderBits.None, [new DnsQuestion(name, type)], [], [], []);

    private static void AssertBounded(DnsReadResult result, int length) =>
        Assert.True(result.Work <= (MaxWorkPerByte * length) + 1, $"work {result.Work} for {length} bytes");
}
