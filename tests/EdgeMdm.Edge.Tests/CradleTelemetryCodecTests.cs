using System.Text;
using EdgeMdm.Contracts.Cradles;

namespace EdgeMdm.Edge.Tests;

public sealed class CradleTelemetryCodecTests
{
    private static readonly string[] Seeds =
    [
        """{"occupied":true,"content":"device","serial":"S123","battery":87,"charging":true,"fault":null}""",
        """{"occupied":false,"content":"empty","serial":null,"battery":null,"charging":null,"fault":"contact"}""",
        """{"occupied":true,"content":"battery","serial":"B\u00e9\\n\"x","battery":100,"charging":false,"x":-0.5E+2}""",
    ];

    [Fact]
    public void Round_trip_keeps_every_field()
    {
        var sent = new SlotTelemetry
        {
            Occupied = true, Content = SlotContents.Battery, Serial = "BAT-\"7\"\\ü", Battery = 87, ChargingReported = true, Charging = true, Fault = "over\ntemp",
        };

        var payload = CradleTelemetryCodec.Encode(sent, out var encodeError);
        var received = CradleTelemetryCodec.Decode(payload, out var decodeError);

        Assert.Null(encodeError);
        Assert.Null(decodeError);
        Assert.NotNull(received);
        Assert.Equivalent(sent, received);
    }

    [Fact]
    public void Round_trip_of_an_empty_slot_with_nothing_known()
    {
        var payload = CradleTelemetryCodec.Encode(new SlotTelemetry(), out _);

        Assert.Equal("""{"occupied":false,"content":"empty","serial":null,"battery":null,"charging":null,"fault":null}""", Encoding.UTF8.GetString(payload!));
        var received = CradleTelemetryCodec.Decode(payload, out _)!;
        Assert.False(received.Occupied);
        Assert.Equal(SlotTelemetry.NoBattery, received.Battery);
        Assert.False(received.ChargingReported);
    }

    [Fact]
    public void The_documented_example_decodes_and_unknown_scalar_keys_are_skipped()
    {
        var telemetry = Decode("""{ "occupied" : true, "content":"device","serial":"S123","battery":87,"charging":true,"fault":null, "temp": -1.5e3, "fw":"2.1" }""", out var error);

        Assert.Null(error);
        Assert.Equal("S123", telemetry!.Serial);
        Assert.Equal(87, telemetry.Battery);
        Assert.True(telemetry.Charging);
    }

    [Fact]
    public void An_occupied_slot_without_content_holds_a_device()
    {
        Assert.Equal(SlotContents.Device, Decode("""{"occupied":true}""", out _)!.Content);
    }

    [Theory]
    [InlineData("", "expected '{'")]
    [InlineData("null", "expected '{'")]
    [InlineData("[]", "expected '{'")]
    [InlineData("{}", "occupied is missing")]
    [InlineData("{\"occupied\":true", "expected ','")]
    [InlineData("{\"occupied\":true}x", "text after the object")]
    [InlineData("{\"occupied\":\"yes\"}", "occupied must be true or false")]
    [InlineData("{\"occupied\":1}", "occupied must be true or false")]
    [InlineData("{\"occupied\":true,\"occupied\":false}", "a key appears twice")]
    [InlineData("{\"occupied\":true,\"battery\":101}", "battery must be an integer 0-100")]
    [InlineData("{\"occupied\":true,\"battery\":-1}", "battery must be an integer 0-100")]
    [InlineData("{\"occupied\":true,\"battery\":8.5}", "battery must be an integer 0-100")]
    [InlineData("{\"occupied\":true,\"battery\":\"87\"}", "battery must be an integer 0-100")]
    [InlineData("{\"occupied\":true,\"battery\":99999999999999999999}", "battery must be an integer 0-100")]
    [InlineData("{\"occupied\":true,\"battery\":01}", "malformed number")]
    [InlineData("{\"occupied\":true,\"charging\":\"true\"}", "charging must be true, false or null")]
    [InlineData("{\"occupied\":true,\"serial\":12}", "a text value must be a string or null")]
    [InlineData("{\"occupied\":true,\"serial\":\"\"}", "serial must be 1-64")]
    [InlineData("{\"occupied\":true,\"content\":\"toaster\"}", "content must be empty, device or battery")]
    [InlineData("{\"occupied\":false,\"content\":\"device\"}", "occupied must be true exactly when")]
    [InlineData("{\"occupied\":true,\"x\":{\"a\":1}}", "nested objects and arrays")]
    [InlineData("{\"occupied\":true,\"x\":[1]}", "nested objects and arrays")]
    [InlineData("{\"occupied\":tru}", "expected true, false or null")]
    [InlineData("{occupied:true}", "a key must be a string")]
    [InlineData("{\"occupied\":true,}", "a key must be a string")]
    [InlineData("{\"occupied\":true,\"serial\":\"a\u0001b\"}", "a control character")]
    [InlineData("{\"occupied\":true,\"serial\":\"a\\qb\"}", "a bad escape")]
    [InlineData("{\"occupied\":true,\"serial\":\"a\\u12\"}", "a bad escape")]
    [InlineData("{\"occupied\":true,\"serial\":\"abc", "a string is not closed")]
    [InlineData("{\"occupied\":true,\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1}", "a string is too long")]
    public void Malformed_payloads_are_refused_with_a_reason(string payload, string reason)
    {
        var telemetry = Decode(payload, out var error);

        Assert.Null(telemetry);
        Assert.NotNull(error);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_payload_over_512_bytes_is_refused_before_it_is_read()
    {
        var payload = Encoding.UTF8.GetBytes("{\"occupied\":true,\"pad\":\"" + new string('x', 100) + "\"}" + new string(' ', 512));

        Assert.Null(CradleTelemetryCodec.Decode(payload, out var error));
        Assert.Contains("over 512 bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        byte[] payload = [.. Encoding.UTF8.GetBytes("{\"occupied\":true,\"serial\":\"a"), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}")];

        Assert.Null(CradleTelemetryCodec.Decode(payload, out var error));
        Assert.Contains("not UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_buffer_bounds_are_refused_not_thrown()
    {
        Assert.Null(CradleTelemetryCodec.Decode(null, out _));
        Assert.Null(CradleTelemetryCodec.Decode(new byte[4], 3, 5, out _));
        Assert.Null(CradleTelemetryCodec.Decode(new byte[4], -1, 1, out _));
    }

    [Fact]
    public void Encode_refuses_inconsistent_telemetry()
    {
        Assert.Null(CradleTelemetryCodec.Encode(new SlotTelemetry { Occupied = true, Content = SlotContents.Empty }, out var error));
        Assert.NotNull(error);
        Assert.Null(CradleTelemetryCodec.Encode(new SlotTelemetry { Occupied = true, Content = SlotContents.Device, Serial = new string('s', 65) }, out _));
        Assert.Null(CradleTelemetryCodec.Encode(null, out _));
    }

    [Fact]
    public void Fuzzed_payloads_never_throw_and_allocate_a_bounded_amount()
    {
        var random = new Random(25);
        var seeds = Seeds.Select(Encoding.UTF8.GetBytes).ToArray();
        const string Alphabet = "{}[]\":,\\ truefalsn0123456789-+.eE\u00ff";
        long worst = 0;
        var accepted = 0;

        for (var i = 0; i < 20_000; i++)
        {
            var payload = Mutate(random, seeds[i % seeds.Length], Alphabet);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var telemetry = CradleTelemetryCodec.Decode(payload, out var error);
            worst = Math.Max(worst, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.True((telemetry is null) != (error is null), $"payload {Convert.ToHexString(payload)}: a result or an error, not both");
            if (telemetry is not null)
            {
                accepted++;
                Assert.Null(CradleTelemetryCodec.Check(telemetry));
            }
        }

        // A 512-byte payload decodes to at most ~1 KiB of text, its keys and values and the result.
        Assert.InRange(worst, 1, 16 * 1024);
        Assert.InRange(accepted, 1, 19_999);
    }

    private static byte[] Mutate(Random random, byte[] seed, string alphabet)
    {
        switch (random.Next(6))
        {
            case 0:
                var noise = new byte[random.Next(0, 700)];
                random.NextBytes(noise);
                return noise;
            case 1:
                return [.. seed.Take(random.Next(seed.Length + 1))];
            case 2:
                return [.. Enumerable.Range(0, random.Next(0, 600)).Select(_ => (byte)alphabet[random.Next(alphabet.Length)])];
            default:
                var bytes = seed.ToList();
                for (var n = random.Next(1, 4); n > 0; n--)
                {
                    var at = random.Next(bytes.Count + 1);
                    switch (random.Next(3))
                    {
                        case 0 when at < bytes.Count:
                            bytes.RemoveAt(at);
                            break;
                        case 1 when at < bytes.Count:
                            bytes[at] = (byte)random.Next(256);
                            break;
                        default:
                            bytes.Insert(at, (byte)alphabet[random.Next(alphabet.Length)]);
                            break;
                    }
                }

                return [.. bytes];
        }
    }

    private static SlotTelemetry? Decode(string json, out string? error) => CradleTelemetryCodec.Decode(Encoding.UTF8.GetBytes(json), out error);
}
