using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace EdgeMdm.Domain.Security;

/// <summary>
/// The byte form the site signs and the agent verifies: a tag naming the kind of document, then every field in a fixed
/// order, each as a 4-byte big-endian length and its UTF-8 bytes (length -1 for null), lists and maps as a count and
/// their items, maps in ordinal key order. Nothing depends on JSON property order, whitespace, culture or platform, and no
/// field can run into the next: "ab"+"c" and "a"+"bc" give different bytes.
/// </summary>
internal sealed class CanonicalFields
{
    private readonly ArrayBufferWriter<byte> _bytes = new(512);

    public CanonicalFields(string tag) => Text(tag);

    public CanonicalFields Text(string? value)
    {
        if (value is null)
            return Count(-1);
        var length = Encoding.UTF8.GetByteCount(value);
        Count(length);
        Encoding.UTF8.GetBytes(value, _bytes.GetSpan(length));
        _bytes.Advance(length);
        return this;
    }

    public CanonicalFields Number(long? value) => Text(value?.ToString(CultureInfo.InvariantCulture));

    /// <summary>A time as Unix milliseconds: what the site stores and what survives a JSON round trip.</summary>
    public CanonicalFields Time(DateTimeOffset? value) => Number(value?.ToUnixTimeMilliseconds());

    /// <summary>A count, or -1 for a list, map or object that is absent (null), so absent and empty differ.</summary>
    public CanonicalFields Count(int count)
    {
        BinaryPrimitives.WriteInt32BigEndian(_bytes.GetSpan(4), count);
        _bytes.Advance(4);
        return this;
    }

    public CanonicalFields Map(IReadOnlyDictionary<string, string>? map)
    {
        if (map is null)
            return Count(-1);
        Count(map.Count);
        foreach (var (key, value) in map.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            Text(key).Text(value);
        return this;
    }

    public CanonicalFields List<T>(IReadOnlyList<T>? items, Action<CanonicalFields, T> write)
    {
        if (items is null)
            return Count(-1);
        Count(items.Count);
        foreach (var item in items)
            write(this, item);
        return this;
    }

    public CanonicalFields Optional<T>(T? item, Action<CanonicalFields, T> write)
        where T : class
    {
        if (item is null)
            return Count(-1);
        Count(1);
        write(this, item);
        return this;
    }

    public byte[] ToArray() => _bytes.WrittenSpan.ToArray();
}
