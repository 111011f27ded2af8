using System.Net;
using EdgeMdm.Discovery.Dns;

namespace EdgeMdm.Discovery.Service;

/// <summary>Where a reply goes: the mDNS group of the interface, or straight back to the querier's address and port.</summary>
public enum ReplyDestination
{
    Multicast,
    QuerierUnicast,
}

public sealed record MdnsReply(DnsMessage Message, ReplyDestination Destination);

/// <summary>
/// The responder's decisions for one service (RFC 6762), free of sockets: what to answer to a query, what to
/// announce and how to say goodbye. Addresses are those of the interface the query came in on, so a device is
/// never told an address it cannot reach.
/// </summary>
public sealed class MdnsResponder(EdgeMdmService service)
{
    /// <summary>The mDNS port; a query from any other port is a legacy unicast query (RFC 6762 §6.7).</summary>
    public const int MdnsPort = 5353;

    /// <summary>RFC 6762 §6.7: answers to legacy queries carry TTLs of at most 10 s.</summary>
    public const uint LegacyUnicastMaxTtl = 10;

    public EdgeMdmService Service { get; } = service;

    /// <summary>
    /// The reply to <paramref name="query"/> received from <paramref name="sourcePort"/>, or null when nothing in it is
    /// ours to answer (responses, other opcodes, other names, answers the querier already holds).
    /// </summary>
    public MdnsReply? Respond(DnsMessage query, int sourcePort, IReadOnlyList<IPAddress> interfaceAddresses)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(interfaceAddresses);
        if (query.IsResponse || query.OperationCode != 0)
            return null;

        var answers = new List<DnsResourceRecord>();
        var additionals = new List<DnsResourceRecord>();
        var answered = new List<DnsQuestion>();
        foreach (var question in query.Questions)
        {
            if (question.Class is not (DnsClass.Internet or DnsClass.Any))
                continue;
            var count = answers.Count;
            AnswerQuestion(question, interfaceAddresses, answers, additionals);
            if (answers.Count > count)
                answered.Add(question);
        }

        // RFC 6762 §7.1: an answer the querier lists with at least half our TTL left need not be sent again.
        answers.RemoveAll(ours => query.Answers.Any(known => known.SameRecordAs(ours) && known.Ttl >= ours.Ttl / 2));
        if (answers.Count == 0)
            return null;
        additionals.RemoveAll(extra => answers.Any(answer => answer.SameRecordAs(extra)) || query.Answers.Any(known => known.SameRecordAs(extra)));
        additionals = Distinct(additionals);

        if (sourcePort != MdnsPort)
        {
            // RFC 6762 §6.7: a plain DNS resolver asked; it gets a plain DNS answer: its id and questions echoed, no
            // cache-flush bits (it would read them as a class), short TTLs, by unicast to where it asked from.
            var legacy = new DnsMessage(
                query.Id,
                DnsHeaderBits.Response | DnsHeaderBits.Authoritative,
                answered,
                answers.Select(ForLegacyResolver).ToList(),
                [],
                additionals.Select(ForLegacyResolver).ToList());
            return new MdnsReply(legacy, ReplyDestination.QuerierUnicast);
        }

        // RFC 6762 §5.4: unicast only when every question asked for it; RFC 6762 §18.1: multicast replies carry id 0.
        var destination = answered.TrueForAll(question => question.UnicastResponse) ? ReplyDestination.QuerierUnicast : ReplyDestination.Multicast;
        return new MdnsReply(Response(answers, additionals), destination);
    }

    /// <summary>Every record of the service, sent unrequested at start and when addresses change (RFC 6762 §8.3).</summary>
    public DnsMessage Announcement(IReadOnlyList<IPAddress> interfaceAddresses) => Response(AllRecords(interfaceAddresses, ttlOverride: null), []);

    /// <summary>The same records with TTL 0: caches drop them within a second (RFC 6762 §10.1).</summary>
    public DnsMessage Goodbye(IReadOnlyList<IPAddress> interfaceAddresses) => Response(AllRecords(interfaceAddresses, ttlOverride: 0), []);

    private void AnswerQuestion(DnsQuestion question, IReadOnlyList<IPAddress> addresses, List<DnsResourceRecord> answers, List<DnsResourceRecord> additionals)
    {
        var any = question.Type == DnsRecordType.Any;
        if (question.Name.Equals(EdgeMdmService.ServiceTypeEnumeration) && (any || question.Type == DnsRecordType.NamePointer))
        {
            answers.Add(EdgeMdmService.TypePointer(EdgeMdmService.OtherRecordTtl));
        }
        else if (question.Name.Equals(EdgeMdmService.ServiceType) && (any || question.Type == DnsRecordType.NamePointer))
        {
            // RFC 6763 §12.1: with the PTR go the SRV, TXT and addresses, saving the browser three more queries.
            answers.Add(Service.InstancePointer(EdgeMdmService.OtherRecordTtl));
            additionals.Add(Service.ServiceLocation(EdgeMdmService.HostRecordTtl));
            additionals.Add(Service.Attributes(EdgeMdmService.OtherRecordTtl));
            additionals.AddRange(Addresses(addresses));
        }
        else if (question.Name.Equals(Service.InstanceFullName))
        {
            if (any || question.Type == DnsRecordType.Srv)
                answers.Add(Service.ServiceLocation(EdgeMdmService.HostRecordTtl));
            if (any || question.Type == DnsRecordType.Txt)
                answers.Add(Service.Attributes(EdgeMdmService.OtherRecordTtl));
            if (any || question.Type == DnsRecordType.Srv)
                additionals.AddRange(Addresses(addresses));
        }
        else if (question.Name.Equals(Service.HostName))
        {
            answers.AddRange(Addresses(addresses).Where(record => any || record.Type == question.Type));
        }
    }

    private IEnumerable<DnsResourceRecord> Addresses(IReadOnlyList<IPAddress> addresses) =>
        addresses.Select(address => Service.Address(address, EdgeMdmService.HostRecordTtl));

    private List<DnsResourceRecord> AllRecords(IReadOnlyList<IPAddress> addresses, uint? ttlOverride)
    {
        List<DnsResourceRecord> records =
        [
            Service.InstancePointer(ttlOverride ?? EdgeMdmService.OtherRecordTtl),
            EdgeMdmService.TypePointer(ttlOverride ?? EdgeMdmService.OtherRecordTtl),
            Service.ServiceLocation(ttlOverride ?? EdgeMdmService.HostRecordTtl),
            Service.Attributes(ttlOverride ?? EdgeMdmService.OtherRecordTtl),
        ];
        records.AddRange(addresses.Select(address => Service.Address(address, ttlOverride ?? EdgeMdmService.HostRecordTtl)));
        return records;
    }

    private static DnsMessage Response(IReadOnlyList<DnsResourceRecord> answers, IReadOnlyList<DnsResourceRecord> additionals) =>
        new(0, DnsHeaderBits.Response | DnsHeaderBits.Authoritative, [], answers, [], additionals);

    private static DnsResourceRecord ForLegacyResolver(DnsResourceRecord record) =>
        record with { CacheFlush = false, Ttl = Math.Min(record.Ttl, LegacyUnicastMaxTtl) };

    private static List<DnsResourceRecord> Distinct(List<DnsResourceRecord> records)
    {
        var kept = new List<DnsResourceRecord>();
        foreach (var record in records)
        {
            if (!kept.Exists(other => other.SameRecordAs(record)))
                kept.Add(record);
        }

        return kept;
    }
}
