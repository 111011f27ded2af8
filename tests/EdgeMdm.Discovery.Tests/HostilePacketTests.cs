using System.Net;
using EdgeMdm.Discovery.Dns;

namespace EdgeMdm.Discovery.Tests;

/// <summary>Packets anyone on the site Wi-Fi could send: the reader keeps what is sound and says what is not.</summary>
public sealed class HostilePacketTests
{
    private static readonly byte[] LocalA = [1, (byte)'a', 5, (byte)'l', (byte)'o', (byte)'c', (byte)'a', (byte)'l', 0];

    private static byte[] Header(int questions, int answers) =>
        [0, 0, 0x84, 0, 0, (byte)questions, 0, (byte)answers, 0, 0, 0, 0];

    private static byte[] ARecord(byte[] name, params byte[] address) =>
        [.. name, 0, 1, 0, 1, 0, 0, 0, 120, 0, (byte)address.Length, .. address];

    private static byte[] TxtRecord(byte[] name, params byte[] data) =>
        [.. name, 0, 16, 0, 1, 0, 0, 0, 120, 0, (byte)data.Length, .. data];

    [Fact]
    public void A_header_shorter_than_12_bytes_gives_no_message()
    {
        var result = DnsMessageReader.Read(new byte[11]);

        Assert.Null(result.Message);
        Assert.Contains("header truncated", result.Problems.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_name_ends_the_read_with_what_came_before()
    {
        // Arrange: a good record, then a record whose name claims 5 bytes of which 2 are there.
        byte[] packet = [.. Header(0, 2), .. ARecord(LocalA, 10, 0, 0, 1), 5, (byte)'l', (byte)'o'];

        // Act
        var result = DnsMessageReader.Read(packet);

        // Assert
        Assert.Equal(IPAddress.Parse("10.0.0.1"), Assert.IsType<AddressRecordData>(Assert.Single(result.Message!.Answers).Data).Address);
        Assert.Contains("label truncated", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_pointer_to_itself_is_refused_instead_of_looping()
    {
        byte[] packet = [.. Header(1, 0), 0xC0, 12, 0, 1, 0, 1];

        var result = DnsMessageReader.Read(packet);

        Assert.Empty(result.Message!.Questions);
        Assert.Contains("strictly backwards", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_loop_through_a_label_back_to_its_own_start_is_refused()
    {
        // Arrange: the question name at 12 is "abc" then a pointer back to 12: each pointer points before itself,
        // but not before the labels that led to it.
        byte[] packet = [.. Header(1, 0), 3, (byte)'a', (byte)'b', (byte)'c', 0xC0, 12, 0, 1, 0, 1];

        // Act
        var result = DnsMessageReader.Read(packet);

        // Assert
        Assert.Empty(result.Message!.Questions);
        Assert.Contains("strictly backwards", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_pointer_forward_is_refused()
    {
        byte[] packet = [.. Header(1, 0), 0xC0, 20, 0, 1, 0, 1, 0, 0, 1, (byte)'a', 0];

        var result = DnsMessageReader.Read(packet);

        Assert.Empty(result.Message!.Questions);
        Assert.Contains("strictly backwards", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_chain_of_pointers_is_cut_off()
    {
        // Act: 15 pointers before the label plus the record's own make 16 jumps; one more is refused.
        var allowed = DnsMessageReader.Read(PointerChain(15));
        var refused = DnsMessageReader.Read(PointerChain(16));

        // Assert
        Assert.True(allowed.IsClean, string.Join("; ", allowed.Problems));
        Assert.Equal(["a"], allowed.Message!.Answers[1].Name.Labels);
        Assert.Single(refused.Message!.Answers);
        Assert.Contains("more than 16 compression pointers", Assert.Single(refused.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_longer_than_255_bytes_is_refused()
    {
        // Arrange: five labels of 60 bytes.
        List<byte> name = [];
        for (var i = 0; i < 5; i++)
            name.AddRange([60, .. Enumerable.Repeat((byte)'x', 60)]);
        byte[] packet = [.. Header(1, 0), .. name, 0, 0, 1, 0, 1];

        // Act
        var result = DnsMessageReader.Read(packet);

        // Assert
        Assert.Empty(result.Message!.Questions);
        Assert.Contains("longer than 255", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Reserved_label_types_are_refused()
    {
        byte[] packet = [.. Header(1, 0), 0x41, (byte)'a', 0, 0, 1, 0, 1];

        var result = DnsMessageReader.Read(packet);

        Assert.Contains("label type 0x40", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_TXT_string_overrunning_its_record_skips_that_record_and_keeps_the_others()
    {
        // Arrange: good A, TXT whose string claims 200 of its 4 bytes, good A.
        byte[] packet =
        [
            .. Header(0, 3),
            .. ARecord(LocalA, 10, 0, 0, 1),
            .. TxtRecord([0xC0, 12], 200, (byte)'a', (byte)'=', (byte)'b'),
            .. ARecord([0xC0, 12], 10, 0, 0, 2),
        ];

        // Act
        var result = DnsMessageReader.Read(packet);

        // Assert
        Assert.Equal(
            [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2")],
            result.Message!.Answers.Select(a => ((AddressRecordData)a.Data).Address));
        Assert.Contains("TXT string of 200 bytes", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void An_address_of_the_wrong_length_skips_that_record_and_keeps_the_others()
    {
        byte[] packet = [.. Header(0, 2), .. ARecord(LocalA, 10, 0, 0), .. ARecord([0xC0, 12], 10, 0, 0, 2)];

        var result = DnsMessageReader.Read(packet);

        Assert.Equal(IPAddress.Parse("10.0.0.2"), ((AddressRecordData)Assert.Single(result.Message!.Answers).Data).Address);
        Assert.Contains("address of 3 bytes", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_PTR_whose_name_overruns_its_data_skips_that_record()
    {
        // Arrange: the PTR's 3 bytes of data hold a label claiming 2 bytes and no room for the root; the next record still reads.
        byte[] packet = [.. Header(0, 2), .. LocalA, 0, 12, 0, 1, 0, 0, 0, 1, 0, 3, 2, (byte)'b', 0, .. ARecord([0xC0, 12], 10, 0, 0, 2)];

        var result = DnsMessageReader.Read(packet);

        Assert.Contains("name truncated", Assert.Single(result.Problems), StringComparison.Ordinal);
        Assert.Equal(DnsRecordType.A, Assert.Single(result.Message!.Answers).Type);
    }

    [Fact]
    public void Record_data_running_past_the_packet_ends_the_read()
    {
        byte[] packet = [.. Header(0, 2), .. ARecord(LocalA, 10, 0, 0, 1), 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 200, 1, 2];

        var result = DnsMessageReader.Read(packet);

        Assert.Single(result.Message!.Answers);
        Assert.Contains("runs past the end", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Counts_larger_than_the_packet_end_the_read_without_inventing_records()
    {
        byte[] packet = [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, .. LocalA, 0, 1, 0, 1];

        var result = DnsMessageReader.Read(packet);

        Assert.Single(result.Message!.Questions);
        Assert.Single(result.Problems);
    }

    /// <summary>
    /// A record named "a" at 12 whose data (type 99, kept raw) is a chain of <paramref name="pointers"/> compression
    /// pointers, each to the one before and the first to "a"; then an A record named by a pointer to the last link.
    /// </summary>
    private static byte[] PointerChain(int pointers)
    {
        const int chainStart = 12 + 3 + 10;
        List<byte> chain = [];
        for (var i = 0; i < pointers; i++)
            chain.AddRange([0xC0, (byte)(i == 0 ? 12 : chainStart + (2 * (i - 1)))]);
        var lastLink = chainStart + (2 * (pointers - 1));
        return
        [
            .. Header(0, 2),
            1, (byte)'a', 0, 0, 99, 0, 1, 0, 0, 0, 1, 0, (byte)chain.Count, .. chain,
            .. ARecord([0xC0, (byte)lastLink], 10, 0, 0, 1),
        ];
    }
}
