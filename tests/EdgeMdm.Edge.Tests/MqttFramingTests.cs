namespace EdgeMdm.Edge.Tests;

public sealed class MqttFramingTests
{
    [Fact]
    public void Connect_then_packets_within_the_limits_pass_in_any_split()
    {
        byte[] stream = [0x10, 0x03, 1, 2, 3, 0xC0, 0x00, 0x30, 0x02, 9, 9];
        for (var split = 0; split <= stream.Length; split++)
        {
            var framing = new MqttFraming(maxConnectBytes: 100, maxPacketBytes: 100);
            Assert.True(framing.Accept(stream.AsSpan(0, split)));
            Assert.True(framing.Accept(stream.AsSpan(split)));
            Assert.Null(framing.Violation);
        }
    }

    [Fact]
    public void First_packet_other_than_connect_is_refused()
    {
        var framing = new MqttFraming(100, 100);
        Assert.False(framing.Accept([0x30, 0x00]));
        Assert.Contains("not CONNECT", framing.Violation, StringComparison.Ordinal);
    }

    [Fact]
    public void Declared_length_over_the_limit_is_refused_before_its_body()
    {
        // 100,000,000 as an MQTT variable byte integer.
        var framing = new MqttFraming(4096, 65536);
        Assert.False(framing.Accept([0x10, 0x80, 0xC2, 0xD7, 0x2F]));
        Assert.Contains("100000000", framing.Violation, StringComparison.Ordinal);
    }

    [Fact]
    public void Later_packet_is_held_to_the_packet_limit_not_the_connect_limit()
    {
        var framing = new MqttFraming(maxConnectBytes: 10, maxPacketBytes: 1000);
        Assert.True(framing.Accept([0x10, 0x01, 0x00]));
        Assert.True(framing.Accept([0x30, 0xE8, 0x07]));
        Assert.True(framing.Accept(new byte[1000]));
        Assert.False(framing.Accept([0x30, 0xE9, 0x07]));
    }

    [Fact]
    public void Remaining_length_of_five_bytes_is_refused()
    {
        var framing = new MqttFraming(int.MaxValue, int.MaxValue);
        Assert.False(framing.Accept([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]));
        Assert.NotNull(framing.Violation);
        Assert.False(framing.Accept([0x00]));
    }
}

public sealed class MqttFramingFuzzTests
{
    [Fact]
    public void Random_streams_in_random_pieces_never_throw_and_a_refusal_is_final()
    {
        var random = new Random(20261124);
        for (var run = 0; run < 2000; run++)
        {
            var stream = new byte[random.Next(0, 64)];
            random.NextBytes(stream);
            if (run % 2 == 0 && stream.Length > 0)
                stream[0] = 0x10;
            var framing = new MqttFraming(maxConnectBytes: 32, maxPacketBytes: 16);
            var refused = false;
            for (var at = 0; at < stream.Length;)
            {
                var piece = Math.Min(stream.Length - at, random.Next(1, 8));
                var accepted = framing.Accept(stream.AsSpan(at, piece));
                Assert.False(refused && accepted, "a refused stream was accepted again");
                refused |= !accepted;
                Assert.Equal(refused, framing.Violation is not null);
                at += piece;
            }
        }
    }
}
