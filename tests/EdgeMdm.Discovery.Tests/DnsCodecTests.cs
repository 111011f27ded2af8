using System.Net;
using EdgeMdm.Discovery.Dns;

namespace EdgeMdm.Discovery.Tests;

public sealed class DnsCodecTests
{
    private static DnsName Name(string dotted) => DnsName.Parse(dotted);

    [Fact]
    public void Compression_points_a_repeated_suffix_back_to_its_first_occurrence()
    {
        // Arrange: a.local PTR b.local, so "local" in the data points back to offset 14 (RFC 1035 §4.1.4).
        var message = new DnsMessage(0x1234, DnsHeaderBits.Response | DnsHeaderBits.Authoritative, [],
            [new DnsResourceRecord(Name("a.local"), DnsRecordType.NamePointer, DnsClass.Internet, false, 4500, new PtrRecordData(Name("b.local")))],
            [], []);

        // Act
        var bytes = DnsMessageWriter.Write(message);

        // Assert
        byte[] expected =
        [
            0x12, 0x34, 0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 0,   // id, QR+AA, 0 questions, 1 answer
            1, (byte)'a', 5, (byte)'l', (byte)'o', (byte)'c', (byte)'a', (byte)'l', 0,   // a.local at 12; "local" at 14
            0x00, 0x0C, 0x00, 0x01, 0x00, 0x00, 0x11, 0x94, 0x00, 0x04,   // PTR, IN, TTL 4500, 4 bytes of data
            1, (byte)'b', 0xC0, 0x0E,   // b + pointer to 14
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void A_message_with_every_record_type_reads_back_as_written()
    {
        // Arrange
        var instance = Name("_edgemdm._tcp.local").Prepend("Lyon DC v1.2");
        var message = new DnsMessage(7, DnsHeaderBits.Response | DnsHeaderBits.Authoritative,
            [new DnsQuestion(Name("_edgemdm._tcp.local"), DnsRecordType.NamePointer, DnsClass.Internet, UnicastResponse: true)],
            [new DnsResourceRecord(Name("_edgemdm._tcp.local"), DnsRecordType.NamePointer, DnsClass.Internet, false, 4500, new PtrRecordData(instance))],
            [new DnsResourceRecord(Name("x.local"), (DnsRecordType)99, DnsClass.Internet, false, 1, new RawRecordData([1, 2, 3]))],
            [
                new DnsResourceRecord(instance, DnsRecordType.Srv, DnsClass.Internet, true, 120, new SrvRecordData(1, 2, 8443, Name("edgemdm-lyon.local"))),
                new DnsResourceRecord(instance, DnsRecordType.Txt, DnsClass.Internet, true, 4500, new TxtRecordData(["site=lyon", "path=/", "flag", "é=ü"])),
                new DnsResourceRecord(Name("edgemdm-lyon.local"), DnsRecordType.A, DnsClass.Internet, true, 120, new AddressRecordData(IPAddress.Parse("10.1.2.3"))),
                new DnsResourceRecord(Name("EDGEMDM-lyon.local"), DnsRecordType.Aaaa, DnsClass.Internet, true, 120, new AddressRecordData(IPAddress.Parse("fe80::1"))),
            ]);

        // Act
        var result = DnsMessageReader.Read(DnsMessageWriter.Write(message));

        // Assert
        Assert.True(result.IsClean, string.Join("; ", result.Problems));
        var read = result.Message!;
        Assert.Equal(7, read.Id);
        Assert.Equal(message.Flags, read.Flags);
        Assert.Equal(message.Questions, read.Questions);
        Assert.Equal(message.Answers, read.Answers);
        Assert.Equal(message.Authorities, read.Authorities);
        Assert.Equal(message.Additionals, read.Additionals);
        Assert.Equal("Lyon DC v1.2", read.Answers[0].Data is PtrRecordData p ? p.Target.Labels[0] : null);
        Assert.Equal("EDGEMDM-lyon", read.Additionals[3].Name.Labels[0]);
    }

    [Fact]
    public void The_top_bit_of_the_class_is_the_QU_bit_in_questions_and_cache_flush_in_records()
    {
        // Arrange
        var message = new DnsMessage(0, DnsHeaderBits.None,
            [new DnsQuestion(Name("h.local"), DnsRecordType.A, DnsClass.Internet, UnicastResponse: true)],
            [new DnsResourceRecord(Name("h.local"), DnsRecordType.A, DnsClass.Internet, true, 120, new AddressRecordData(IPAddress.Parse("10.0.0.1")))],
            [], []);

        // Act
        var bytes = DnsMessageWriter.Write(message);

        // Assert: question class at 12+9+2, record class after the pointer (2) and type (2).
        Assert.Equal([0x80, 0x01], bytes[23..25]);
        Assert.Equal([0xC0, 0x0C, 0x00, 0x01, 0x80, 0x01], bytes[25..31]);
        var read = DnsMessageReader.Read(bytes).Message!;
        Assert.True(read.Questions[0].UnicastResponse);
        Assert.Equal(DnsClass.Internet, read.Questions[0].Class);
        Assert.True(read.Answers[0].CacheFlush);
        Assert.Equal(DnsClass.Internet, read.Answers[0].Class);
    }

    [Fact]
    public void An_empty_TXT_record_is_written_as_one_empty_string()
    {
        // Arrange
        var message = new DnsMessage(0, DnsHeaderBits.Response, [],
            [new DnsResourceRecord(Name("t.local"), DnsRecordType.Txt, DnsClass.Internet, false, 1, new TxtRecordData([]))], [], []);

        // Act
        var bytes = DnsMessageWriter.Write(message);

        // Assert
        Assert.Equal([0x00, 0x01, 0x00], bytes[^3..]);
        Assert.Empty(((TxtRecordData)DnsMessageReader.Read(bytes).Message!.Answers[0].Data).Strings);
    }

    [Fact]
    public void Writing_refuses_a_TXT_string_longer_than_255_bytes()
    {
        // Arrange
        var message = new DnsMessage(0, DnsHeaderBits.Response, [],
            [new DnsResourceRecord(Name("t.local"), DnsRecordType.Txt, DnsClass.Internet, false, 1, new TxtRecordData([new string('x', 256)]))], [], []);

        // Act + Assert
        Assert.Throws<ArgumentException>(() => DnsMessageWriter.Write(message));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a..local")]
    public void Names_refuse_empty_labels(string dotted) =>
        Assert.Throws<ArgumentException>(() => DnsName.Parse(dotted));

    [Fact]
    public void Names_refuse_labels_over_63_bytes_and_names_over_255()
    {
        Assert.Throws<ArgumentException>(() => DnsName.FromLabels([new string('a', 64)]));
        Assert.Throws<ArgumentException>(() => DnsName.FromLabels(Enumerable.Repeat(new string('a', 63), 4)));
        Assert.Equal(255, DnsName.FromLabels([.. Enumerable.Repeat(new string('a', 63), 3), new string('a', 61)]).WireLength);
        Assert.Throws<ArgumentException>(() => DnsName.FromLabels([.. Enumerable.Repeat(new string('a', 63), 3), new string('a', 62)]));
    }

    [Fact]
    public void Names_compare_without_regard_to_ASCII_case()
    {
        Assert.Equal(Name("_EdgeMdm._TCP.local"), Name("_edgemdm._tcp.LOCAL"));
        Assert.Equal(Name("_EdgeMdm._TCP.local").GetHashCode(), Name("_edgemdm._tcp.LOCAL").GetHashCode());
        Assert.NotEqual(Name("a.local"), Name("a.b.local"));
        Assert.Equal(@"Lyon DC v1\.2._edgemdm._tcp.local", Name("_edgemdm._tcp.local").Prepend("Lyon DC v1.2").ToString());
    }

    [Fact]
    public void TXT_attributes_are_found_by_key_case_insensitively_and_the_first_wins()
    {
        var txt = new TxtRecordData(["Site=lyon", "site=paris", "flag", "path="]);

        Assert.Equal("lyon", txt.Value("site"));
        Assert.Equal("", txt.Value("flag"));
        Assert.Equal("", txt.Value("path"));
        Assert.Null(txt.Value("version"));
    }
}
