using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace EdgeMdm.Discovery.Dns;

/// <summary>
/// Writes DNS messages (RFC 1035 §4) with name compression (§4.1.4): every name, in record data too (RFC 6762
/// §18.14 allows it in SRV), that ends with a suffix already written points back to it. Suffixes match
/// byte for byte, so a name reads back with the case it was written in.
/// </summary>
public static class DnsMessageWriter
{
    /// <summary>Compression pointers hold 14 bits: a suffix written beyond this offset cannot be pointed to.</summary>
    private const int MaxPointerOffset = 0x3FFF;

    /// <exception cref="ArgumentException">A TXT string is longer than 255 bytes, an address has the wrong family,
    /// or a section holds more than 65535 entries.</exception>
    public static byte[] Write(DnsMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var writer = new Writer();
        writer.UInt16(message.Id);
        writer.UInt16((ushort)((ushort)message.Flags | ((message.OperationCode & 0xF) << 11)));
        writer.UInt16(Count(message.Questions.Count));
        writer.UInt16(Count(message.Answers.Count));
        writer.UInt16(Count(message.Authorities.Count));
        writer.UInt16(Count(message.Additionals.Count));
        foreach (var question in message.Questions)
        {
            writer.Name(question.Name);
            writer.UInt16((ushort)question.Type);
            writer.UInt16((ushort)(question.Class | (question.UnicastResponse ? DnsClass.TopBit : 0)));
        }

        foreach (var record in message.Answers.Concat(message.Authorities).Concat(message.Additionals))
            writer.Record(record);
        return writer.ToArray();
    }

    private static ushort Count(int count) =>
        count <= ushort.MaxValue ? (ushort)count : throw new ArgumentException($"a section holds at most {ushort.MaxValue} entries, not {count}", nameof(count));

    private sealed class Writer
    {
        private readonly Dictionary<string, int> _suffixOffsets = new(StringComparer.Ordinal);
        private byte[] _buffer = new byte[512];
        private int _length;

        public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        public void UInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Grow(2), value);

        public void UInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Grow(4), value);

        public void Bytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

        public void Name(DnsName name)
        {
            var labels = name.Labels;
            for (var i = 0; i < labels.Count; i++)
            {
                var suffix = SuffixKey(labels, i);
                if (_suffixOffsets.TryGetValue(suffix, out var offset))
                {
                    UInt16((ushort)(0xC000 | offset));
                    return;
                }

                if (_length <= MaxPointerOffset)
                    _suffixOffsets[suffix] = _length;
                var label = Encoding.UTF8.GetBytes(labels[i]);
                Grow(1)[0] = (byte)label.Length;
                Bytes(label);
            }

            Grow(1)[0] = 0;
        }

        public void Record(DnsResourceRecord record)
        {
            Name(record.Name);
            UInt16((ushort)record.Type);
            UInt16((ushort)(record.Class | (record.CacheFlush ? DnsClass.TopBit : 0)));
            UInt32(record.Ttl);
            var lengthAt = _length;
            UInt16(0);
            Data(record.Data);
            var dataLength = _length - lengthAt - 2;
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(lengthAt), checked((ushort)dataLength));
        }

        private void Data(DnsRecordData data)
        {
            switch (data)
            {
                case AddressRecordData address:
                    if (address.Address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
                        throw new ArgumentException($"an address record holds IPv4 or IPv6, not {address.Address.AddressFamily}", nameof(data));
                    Bytes(address.Address.GetAddressBytes());
                    break;
                case PtrRecordData pointer:
                    Name(pointer.Target);
                    break;
                case SrvRecordData service:
                    UInt16(service.Priority);
                    UInt16(service.Weight);
                    UInt16(service.Port);
                    Name(service.Target);
                    break;
                case TxtRecordData text when text.Strings.Count == 0:
                    // RFC 6763 §6.1: a TXT record holds at least one string; an empty one says "no attributes".
                    Grow(1)[0] = 0;
                    break;
                case TxtRecordData text:
                    foreach (var value in text.Strings)
                    {
                        var bytes = Encoding.UTF8.GetBytes(value);
                        if (bytes.Length > TxtRecordData.MaxStringBytes)
                            throw new ArgumentException($"a TXT string holds at most {TxtRecordData.MaxStringBytes} bytes, not {bytes.Length}", nameof(data));
                        Grow(1)[0] = (byte)bytes.Length;
                        Bytes(bytes);
                    }

                    break;
                case RawRecordData raw:
                    Bytes(raw.Bytes);
                    break;
                default:
                    throw new ArgumentException("unknown record data " + data.GetType().Name, nameof(data));
            }
        }

        /// <summary>Labels from <paramref name="start"/> on, each prefixed by its length so no label text can fake a boundary.</summary>
        private static string SuffixKey(IReadOnlyList<string> labels, int start)
        {
            var key = new StringBuilder();
            for (var i = start; i < labels.Count; i++)
                key.Append(labels[i].Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(labels[i]);
            return key.ToString();
        }

        private Span<byte> Grow(int count)
        {
            if (_length + count > _buffer.Length)
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
            var span = _buffer.AsSpan(_length, count);
            _length += count;
            return span;
        }
    }
}
