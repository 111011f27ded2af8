using System.Net;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.Discovery.Service;

namespace EdgeMdm.Discovery.Tests;

public sealed class MdnsResponderTests
{
    private const string Fingerprint = "3f1c0a9e5b7d2f4e6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f2a4c6e8b0d1f";
    private static readonly IPAddress[] Addresses = [IPAddress.Parse("10.20.0.5"), IPAddress.Parse("fe80::5")];
    private static readonly EdgeMdmService Service =
        new("Lyon DC", DnsName.Parse("edgemdm-dc-lyon-01.local"), 8080, "dc-lyon-01", "/", "1.2.0", Fingerprint);

    private readonly MdnsResponder _responder = new(Service);

    private static DnsMessage Query(DnsName name, DnsRecordType type, bool unicast = false, params DnsResourceRecord[] knownAnswers) =>
        new(0, DnsHeaderBits.None, [new DnsQuestion(name, type, DnsClass.Internet, unicast)], knownAnswers, [], []);

    [Fact]
    public void A_browse_gets_the_PTR_with_SRV_TXT_and_addresses_multicast()
    {
        // Act
        var reply = _responder.Respond(Query(EdgeMdmService.ServiceType, DnsRecordType.NamePointer), MdnsResponder.MdnsPort, Addresses)!;

        // Assert
        Assert.Equal(ReplyDestination.Multicast, reply.Destination);
        Assert.Equal(0, reply.Message.Id);
        Assert.Empty(reply.Message.Questions);
        var pointer = Assert.Single(reply.Message.Answers);
        Assert.Equal(Service.InstanceFullName, ((PtrRecordData)pointer.Data).Target);
        Assert.False(pointer.CacheFlush);
        Assert.Equal(
            [DnsRecordType.Srv, DnsRecordType.Txt, DnsRecordType.A, DnsRecordType.Aaaa],
            reply.Message.Additionals.Select(r => r.Type));
        Assert.All(reply.Message.Additionals, r => Assert.True(r.CacheFlush));
        var srv = (SrvRecordData)reply.Message.Additionals[0].Data;
        Assert.Equal((ushort)8080, srv.Port);
        Assert.Equal(Service.HostName, srv.Target);
    }

    [Fact]
    public void The_TXT_record_names_site_path_version_and_fingerprint()
    {
        var txt = Service.Txt;

        Assert.Equal("dc-lyon-01", txt.Value(EdgeMdmService.SiteKey));
        Assert.Equal("/", txt.Value(EdgeMdmService.PathKey));
        Assert.Equal("1.2.0", txt.Value(EdgeMdmService.VersionKey));
        Assert.Equal(Fingerprint, txt.Value(EdgeMdmService.FingerprintKey));
        Assert.Null((Service with { TlsSpkiSha256 = null }).Txt.Value(EdgeMdmService.FingerprintKey));
    }

    [Fact]
    public void A_question_with_the_QU_bit_is_answered_by_unicast()
    {
        var reply = _responder.Respond(Query(EdgeMdmService.ServiceType, DnsRecordType.NamePointer, unicast: true), MdnsResponder.MdnsPort, Addresses)!;

        Assert.Equal(ReplyDestination.QuerierUnicast, reply.Destination);
        Assert.True(reply.Message.Additionals[0].CacheFlush);
    }

    [Fact]
    public void A_legacy_query_gets_its_id_and_question_back_without_cache_flush_and_with_short_TTLs()
    {
        // Arrange: dig asks from an ephemeral port.
        var query = Query(EdgeMdmService.ServiceType, DnsRecordType.NamePointer) with { Id = 0xBEEF };

        // Act
        var reply = _responder.Respond(query, 41234, Addresses)!;

        // Assert
        Assert.Equal(ReplyDestination.QuerierUnicast, reply.Destination);
        Assert.Equal(0xBEEF, reply.Message.Id);
        Assert.Equal(query.Questions, reply.Message.Questions);
        var records = reply.Message.Answers.Concat(reply.Message.Additionals).ToList();
        Assert.Equal(5, records.Count);
        Assert.All(records, r => Assert.False(r.CacheFlush));
        Assert.All(records, r => Assert.InRange(r.Ttl, 1u, MdnsResponder.LegacyUnicastMaxTtl));
    }

    [Fact]
    public void Instance_and_host_questions_get_their_records()
    {
        var any = _responder.Respond(Query(Service.InstanceFullName, DnsRecordType.Any), MdnsResponder.MdnsPort, Addresses)!;
        var txt = _responder.Respond(Query(Service.InstanceFullName, DnsRecordType.Txt), MdnsResponder.MdnsPort, Addresses)!;
        var a = _responder.Respond(Query(DnsName.Parse("EDGEMDM-DC-LYON-01.local"), DnsRecordType.A), MdnsResponder.MdnsPort, Addresses)!;

        Assert.Equal([DnsRecordType.Srv, DnsRecordType.Txt], any.Message.Answers.Select(r => r.Type));
        Assert.Equal([DnsRecordType.A, DnsRecordType.Aaaa], any.Message.Additionals.Select(r => r.Type));
        Assert.Equal(DnsRecordType.Txt, Assert.Single(txt.Message.Answers).Type);
        Assert.Equal(Addresses[0], ((AddressRecordData)Assert.Single(a.Message.Answers).Data).Address);
    }

    [Fact]
    public void Service_type_enumeration_lists_our_type()
    {
        var reply = _responder.Respond(Query(EdgeMdmService.ServiceTypeEnumeration, DnsRecordType.NamePointer), MdnsResponder.MdnsPort, Addresses)!;

        Assert.Equal(EdgeMdmService.ServiceType, ((PtrRecordData)Assert.Single(reply.Message.Answers).Data).Target);
    }

    [Fact]
    public void A_known_answer_with_more_than_half_its_TTL_left_is_not_repeated()
    {
        var fresh = Service.InstancePointer(4000);
        var stale = Service.InstancePointer(1000);

        Assert.Null(_responder.Respond(Query(EdgeMdmService.ServiceType, DnsRecordType.NamePointer, false, fresh), MdnsResponder.MdnsPort, Addresses));
        Assert.NotNull(_responder.Respond(Query(EdgeMdmService.ServiceType, DnsRecordType.NamePointer, false, stale), MdnsResponder.MdnsPort, Addresses));
    }

    [Fact]
    public void Other_names_responses_and_other_opcodes_get_no_reply()
    {
        var otherName = Query(DnsName.Parse("_printer._tcp.local"), DnsRecordType.NamePointer);
        var response = Query(EdgeMdmService.ServiceType, DnsRecordType.NamePointer) with { Flags = DnsHeaderBits.Response };
        var update = Query(EdgeMdmService.ServiceType, DnsRecordType.NamePointer) with { OperationCode = 5 };
        var chaos = new DnsMessage(0, DnsHeaderBits.None, [new DnsQuestion(EdgeMdmService.ServiceType, DnsRecordType.NamePointer, Class: 3)], [], [], []);

        Assert.Null(_responder.Respond(otherName, MdnsResponder.MdnsPort, Addresses));
        Assert.Null(_responder.Respond(response, MdnsResponder.MdnsPort, Addresses));
        Assert.Null(_responder.Respond(update, MdnsResponder.MdnsPort, Addresses));
        Assert.Null(_responder.Respond(chaos, MdnsResponder.MdnsPort, Addresses));
    }

    [Fact]
    public void The_announcement_holds_every_record_and_the_goodbye_the_same_with_TTL_zero()
    {
        // Act
        var announcement = _responder.Announcement(Addresses);
        var goodbye = _responder.Goodbye(Addresses);

        // Assert
        Assert.Equal(6, announcement.Answers.Count);
        Assert.All(announcement.Answers, r => Assert.True(r.Ttl > 0));
        Assert.Equal(announcement.Answers.Select(r => (r.Name, r.Type, r.Data)), goodbye.Answers.Select(r => (r.Name, r.Type, r.Data)));
        Assert.All(goodbye.Answers, r => Assert.Equal(0u, r.Ttl));
        Assert.True(announcement.IsResponse);
        Assert.True(DnsMessageReader.Read(DnsMessageWriter.Write(goodbye)).IsClean);
    }
}
