using System.Text;

namespace EdgeMdm.Discovery.Dns;

/// <summary>
/// A domain name as its labels, without the root. Labels are UTF-8 on the wire (RFC 6762 §16) and may hold any
/// character, dots included (a DNS-SD instance name such as "Lyon DC v1.2" is one label). Names compare
/// case-insensitively, as DNS does.
/// </summary>
public sealed class DnsName : IEquatable<DnsName>
{
    /// <summary>Longest label, in bytes (RFC 1035 §2.3.4).</summary>
    public const int MaxLabelBytes = 63;

    /// <summary>Longest name on the wire, length bytes and the root included (RFC 1035 §2.3.4).</summary>
    public const int MaxWireLength = 255;

    private readonly string[] _labels;

    private DnsName(string[] labels) => _labels = labels;

    public IReadOnlyList<string> Labels => _labels;

    /// <summary>Bytes this name takes on the wire without compression.</summary>
    public int WireLength => _labels.Sum(label => 1 + Encoding.UTF8.GetByteCount(label)) + 1;

    /// <exception cref="ArgumentException">A label is empty or longer than 63 bytes, or the name longer than 255.</exception>
    public static DnsName FromLabels(IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var array = labels.ToArray();
        foreach (var label in array)
        {
            var bytes = Encoding.UTF8.GetByteCount(label);
            if (bytes is 0 or > MaxLabelBytes)
                throw new ArgumentException($"a DNS label holds 1 to {MaxLabelBytes} bytes, not {bytes} ('{label}')", nameof(labels));
        }

        var name = new DnsName(array);
        if (name.WireLength > MaxWireLength)
            throw new ArgumentException($"a DNS name takes at most {MaxWireLength} bytes, not {name.WireLength}", nameof(labels));
        return name;
    }

    /// <summary>A dotted name such as <c>_edgemdm._tcp.local</c> (a trailing dot is allowed; no escapes).</summary>
    /// <exception cref="ArgumentException">See <see cref="FromLabels"/>.</exception>
    public static DnsName Parse(string dotted)
    {
        ArgumentNullException.ThrowIfNull(dotted);
        return FromLabels(dotted.TrimEnd('.').Split('.'));
    }

    /// <summary>Labels the reader has already bounded (each at most 63 bytes, 255 in all).</summary>
    internal static DnsName FromWire(string[] labels) => new(labels);

    /// <summary>This name with one more label in front: the instance <c>Lyon DC</c> of <c>_edgemdm._tcp.local</c>.</summary>
    public DnsName Prepend(string label) => FromLabels(_labels.Prepend(label));

    public bool Equals(DnsName? other) =>
        other is not null && _labels.Length == other._labels.Length
        && _labels.Zip(other._labels).All(pair => string.Equals(pair.First, pair.Second, StringComparison.OrdinalIgnoreCase));

    public override bool Equals(object? obj) => Equals(obj as DnsName);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var label in _labels)
            hash.Add(label, StringComparer.OrdinalIgnoreCase);
        return hash.ToHashCode();
    }

    /// <summary>Dotted form; a dot or backslash inside a label is escaped with a backslash, as dig prints it.</summary>
    public override string ToString() =>
        string.Join('.', _labels.Select(label => label.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(".", "\\.", StringComparison.Ordinal)));
}
