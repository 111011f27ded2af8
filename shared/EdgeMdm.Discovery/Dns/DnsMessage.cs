using System.Net;
using System.Text;

namespace EdgeMdm.Discovery.Dns;

/// <summary>Record types this codec knows; any other value is kept as <see cref="RawRecordData"/>.</summary>
public enum DnsRecordType : ushort
{
    A = 1,

    /// <summary>PTR, a domain name pointer (RFC 1035 §3.3.12): "Ptr" alone reads as a memory pointer to the analyzers.</summary>
    NamePointer = 12,
    Txt = 16,
    Aaaa = 28,
    Srv = 33,
    Nsec = 47,
    Any = 255,
}

/// <summary>Header flag bits (RFC 1035 §4.1.1) this project reads or sets.</summary>
[Flags]
public enum DnsHeaderBits : ushort
{
    None = 0,
    Truncated = 0x0200,
    Authoritative = 0x0400,
    Response = 0x8000,
}

/// <summary>Class values and the mDNS bit that shares the class field (RFC 6762 §5.4, §10.2).</summary>
public static class DnsClass
{
    public const ushort Internet = 1;
    public const ushort Any = 255;

    /// <summary>Top bit of the class: QU (unicast response wanted) in a question, cache-flush in a record.</summary>
    internal const ushort TopBit = 0x8000;
}

/// <param name="UnicastResponse">The QU bit: the querier asks for the answer by unicast (RFC 6762 §5.4).</param>
public sealed record DnsQuestion(DnsName Name, DnsRecordType Type, ushort Class = DnsClass.Internet, bool UnicastResponse = false);

/// <param name="CacheFlush">This record replaces what caches hold for its name and type (RFC 6762 §10.2).</param>
/// <param name="Ttl">Seconds; 0 in a goodbye.</param>
public sealed record DnsResourceRecord(DnsName Name, DnsRecordType Type, ushort Class, bool CacheFlush, uint Ttl, DnsRecordData Data)
{
    /// <summary>Same name, type, class and data: what known-answer suppression compares (RFC 6762 §7.1).</summary>
    public bool SameRecordAs(DnsResourceRecord other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Name.Equals(other.Name) && Type == other.Type && Class == other.Class && Data.Equals(other.Data);
    }
}

/// <param name="OperationCode">Bits 11–14 of the flags word; 0 is a standard query, the only kind mDNS answers.</param>
public sealed record DnsMessage(
    ushort Id,
    DnsHeaderBits Flags,
    IReadOnlyList<DnsQuestion> Questions,
    IReadOnlyList<DnsResourceRecord> Answers,
    IReadOnlyList<DnsResourceRecord> Authorities,
    IReadOnlyList<DnsResourceRecord> Additionals,
    int OperationCode = 0)
{
    public bool IsResponse => Flags.HasFlag(DnsHeaderBits.Response);
}

/// <summary>What a record carries after its header. Records compare by value.</summary>
public abstract record DnsRecordData;

/// <summary>A (IPv4) or AAAA (IPv6).</summary>
public sealed record AddressRecordData(IPAddress Address) : DnsRecordData;

public sealed record PtrRecordData(DnsName Target) : DnsRecordData;

public sealed record SrvRecordData(ushort Priority, ushort Weight, ushort Port, DnsName Target) : DnsRecordData;

/// <summary>
/// The character strings of a TXT record, each at most 255 bytes of UTF-8. DNS-SD (RFC 6763 §6) reads them as
/// <c>key=value</c> attributes; a string without '=' is a key alone.
/// </summary>
public sealed record TxtRecordData(IReadOnlyList<string> Strings) : DnsRecordData
{
    public const int MaxStringBytes = 255;

    /// <summary><c>key=value</c> strings in the given order.</summary>
    public static TxtRecordData FromAttributes(IEnumerable<KeyValuePair<string, string>> attributes) =>
        new(attributes.Select(attribute => attribute.Key + "=" + attribute.Value).ToArray());

    /// <summary>The value of <paramref name="key"/>; keys compare case-insensitively and the first one wins (RFC 6763 §6.4).</summary>
    public string? Value(string key)
    {
        foreach (var text in Strings)
        {
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? text : text[..equals];
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
                return equals < 0 ? "" : text[(equals + 1)..];
        }

        return null;
    }

    public bool Equals(TxtRecordData? other) => other is not null && Strings.SequenceEqual(other.Strings, StringComparer.Ordinal);

    public override int GetHashCode() => Strings.Aggregate(0, (hash, text) => HashCode.Combine(hash, StringComparer.Ordinal.GetHashCode(text)));

    /// <summary>Total bytes of the strings as written, for a caller that keeps TXT records small.</summary>
    public int WireLength => Math.Max(1, Strings.Sum(text => 1 + Encoding.UTF8.GetByteCount(text)));
}

/// <summary>Data of a type this codec does not interpret, kept byte for byte.</summary>
public sealed record RawRecordData(byte[] Bytes) : DnsRecordData
{
    public bool Equals(RawRecordData? other) => other is not null && Bytes.AsSpan().SequenceEqual(other.Bytes);

    public override int GetHashCode() => Bytes.Length;
}
