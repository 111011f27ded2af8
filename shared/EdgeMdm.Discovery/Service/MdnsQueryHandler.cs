using System.Net;
using EdgeMdm.Discovery.Dns;

namespace EdgeMdm.Discovery.Service;

/// <summary>What one received packet comes to: the reply to send and where (none when <see cref="Packet"/> is null), the first thing wrong with the packet, and whether a reply was dropped for its source's rate.</summary>
public sealed record MdnsHandled(byte[]? Packet, ReplyDestination Destination, string? Problem, bool Limited);

/// <summary>
/// One receive loop's decisions from bytes in to bytes out, free of sockets: read the packet, let
/// <see cref="MdnsResponder"/> answer, pace multicast records (<see cref="MulticastPacer"/>) and bound unicast replies per
/// source (<see cref="UnicastReplyLimit"/>). A packet never makes it throw. Not thread-safe: one loop (one socket) owns it.
/// </summary>
public sealed class MdnsQueryHandler(int unicastRepliesPerSecondPerSource)
{
    private static readonly MdnsHandled Nothing = new(null, ReplyDestination.Multicast, null, false);

    // Each family's group is its own link: a record multicast over IPv4 may still be due over IPv6. So one per socket.
    private readonly MulticastPacer _pacer = new();
    private readonly UnicastReplyLimit _unicast = new(unicastRepliesPerSecondPerSource);

    /// <param name="responder">The service as advertised now.</param>
    /// <param name="packet">The datagram as received.</param>
    /// <param name="source">Where it came from (where a unicast reply goes).</param>
    /// <param name="interfaceIndex">The interface it came in on.</param>
    /// <param name="addresses">That interface's addresses, the ones a reply gives.</param>
    /// <param name="now">The receive time.</param>
    public MdnsHandled Handle(MdnsResponder responder, ReadOnlySpan<byte> packet, IPEndPoint source, int interfaceIndex, IReadOnlyList<IPAddress> addresses, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(responder);
        ArgumentNullException.ThrowIfNull(source);
        var read = DnsMessageReader.Read(packet);
        var problem = read.Problems.Count > 0 ? read.Problems[0] : null;
        if (read.Message is not { Questions.Count: > 0 } query)
            return Nothing with { Problem = problem };

        MdnsReply? reply;
        try
        {
            reply = responder.Respond(query, source.Port, addresses);
        }
        catch (ArgumentException e)
        {
            return Nothing with { Problem = e.Message };
        }

        if (reply is null)
            return Nothing with { Problem = problem };
        var message = reply.Message;
        if (reply.Destination == ReplyDestination.Multicast)
        {
            var due = _pacer.Due(interfaceIndex, message.Answers, now);
            if (due.Count == 0)
                return Nothing with { Problem = problem };
            if (due.Count < message.Answers.Count)
                message = message with { Answers = due };
        }
        else if (!_unicast.Allow(source.Address, now))
        {
            return new MdnsHandled(null, ReplyDestination.QuerierUnicast, problem, Limited: true);
        }

        try
        {
            return new MdnsHandled(DnsMessageWriter.Write(message), reply.Destination, problem, false);
        }
        catch (ArgumentException e)
        {
            // A question echoed to a legacy resolver that cannot be written back (a label mangled by UTF-8 repair).
            return Nothing with { Problem = e.Message };
        }
    }
}
