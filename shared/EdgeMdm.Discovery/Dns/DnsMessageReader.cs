using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace EdgeMdm.Discovery.Dns;

/// <summary>
/// What <see cref="DnsMessageReader.Read"/> made of a packet. <see cref="Message"/> is null only when not even the
/// header was there; otherwise it holds every question and record read before the structure broke, less the records
/// whose data was malformed (each one a <see cref="Problems"/> line).
/// </summary>
/// <param name="Work">Labels and compression pointers followed: the reader's work, bounded by the packet's length.</param>
public sealed record DnsReadResult(DnsMessage? Message, IReadOnlyList<string> Problems, int Work)
{
    public bool IsClean => Message is not null && Problems.Count == 0;
}

/// <summary>
/// Parses DNS messages (RFC 1035 §4) as mDNS sends them, from anyone on the site Wi-Fi: it never throws, and its work
/// is linear in the packet's length. Compression pointers must point strictly before the labels that led to them, so
/// they cannot loop; a name is at most 255 bytes and follows at most <see cref="MaxJumpsPerName"/> pointers. A record
/// whose data is malformed but whose length is sound is skipped and the rest kept; a truncated section ends the read.
/// </summary>
public static class DnsMessageReader
{
    public const int HeaderLength = 12;

    /// <summary>A legitimate name needs at most one pointer; this leaves room for odd encoders, not for abuse.</summary>
    public const int MaxJumpsPerName = 16;

    private const int RecordHeaderLength = 10;

    public static DnsReadResult Read(ReadOnlySpan<byte> packet)
    {
        var problems = new List<string>();
        if (packet.Length < HeaderLength)
        {
            problems.Add($"header truncated: {packet.Length} of {HeaderLength} bytes");
            return new DnsReadResult(null, problems, 0);
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(packet);
        var flagsWord = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        var counts = new int[4];
        for (var section = 0; section < 4; section++)
            counts[section] = BinaryPrimitives.ReadUInt16BigEndian(packet[(4 + (2 * section))..]);

        var cursor = new Cursor { Position = HeaderLength };
        var questions = new List<DnsQuestion>();
        var sections = new[] { new List<DnsResourceRecord>(), new List<DnsResourceRecord>(), new List<DnsResourceRecord>() };
        var intact = true;
        for (var i = 0; i < counts[0] && intact; i++)
            intact = ReadQuestion(packet, ref cursor, questions, problems);
        for (var section = 0; section < 3; section++)
        {
            for (var i = 0; i < counts[section + 1] && intact; i++)
                intact = ReadRecord(packet, ref cursor, sections[section], problems);
        }

        var flags = (DnsHeaderBits)(flagsWord & (ushort)(DnsHeaderBits.Response | DnsHeaderBits.Authoritative | DnsHeaderBits.Truncated));
        var message = new DnsMessage(id, flags, questions, sections[0], sections[1], sections[2], (flagsWord >> 11) & 0xF);
        return new DnsReadResult(message, problems, cursor.Work);
    }

    private static bool ReadQuestion(ReadOnlySpan<byte> packet, ref Cursor cursor, List<DnsQuestion> questions, List<string> problems)
    {
        var start = cursor.Position;
        if (ReadName(packet, ref cursor, packet.Length) is not { } name)
        {
            problems.Add($"question at {start}: {cursor.Problem}; the rest of the packet is ignored");
            return false;
        }

        if (cursor.Position + 4 > packet.Length)
        {
            problems.Add($"question at {start}: truncated after its name; the rest of the packet is ignored");
            return false;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(packet[cursor.Position..]);
        var classWord = BinaryPrimitives.ReadUInt16BigEndian(packet[(cursor.Position + 2)..]);
        cursor.Position += 4;
        questions.Add(new DnsQuestion(name, (DnsRecordType)type, (ushort)(classWord & ~DnsClass.TopBit), (classWord & DnsClass.TopBit) != 0));
        return true;
    }

    private static bool ReadRecord(ReadOnlySpan<byte> packet, ref Cursor cursor, List<DnsResourceRecord> records, List<string> problems)
    {
        var start = cursor.Position;
        if (ReadName(packet, ref cursor, packet.Length) is not { } name)
        {
            problems.Add($"record at {start}: {cursor.Problem}; the rest of the packet is ignored");
            return false;
        }

        if (cursor.Position + RecordHeaderLength > packet.Length)
        {
            problems.Add($"record at {start}: truncated after its name; the rest of the packet is ignored");
            return false;
        }

        var header = packet[cursor.Position..];
        var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(header);
        var classWord = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        var ttl = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        int dataLength = BinaryPrimitives.ReadUInt16BigEndian(header[8..]);
        var dataStart = cursor.Position + RecordHeaderLength;
        if (dataStart + dataLength > packet.Length)
        {
            problems.Add($"record at {start}: its data ({dataLength} bytes) runs past the end; the rest of the packet is ignored");
            return false;
        }

        cursor.Position = dataStart;
        var data = ReadData(packet, ref cursor, type, dataStart + dataLength);
        cursor.Position = dataStart + dataLength;
        if (data is null)
        {
            problems.Add($"record at {start} ({name} {type}): {cursor.Problem}; skipped");
            return true;
        }

        records.Add(new DnsResourceRecord(name, type, (ushort)(classWord & ~DnsClass.TopBit), (classWord & DnsClass.TopBit) != 0, ttl, data));
        return true;
    }

    private static DnsRecordData? ReadData(ReadOnlySpan<byte> packet, ref Cursor cursor, DnsRecordType type, int end)
    {
        var data = packet[cursor.Position..end];
        switch (type)
        {
            case DnsRecordType.A or DnsRecordType.Aaaa:
                var size = type == DnsRecordType.A ? 4 : 16;
                if (data.Length != size)
                    return cursor.Fail($"address of {data.Length} bytes, not {size}");
                return new AddressRecordData(new IPAddress(data));
            case DnsRecordType.NamePointer:
                return ReadName(packet, ref cursor, end) is { } target && cursor.EndsAt(end) ? new PtrRecordData(target) : null;
            case DnsRecordType.Srv:
                if (data.Length < 7)
                    return cursor.Fail($"SRV data of {data.Length} bytes");
                var priority = BinaryPrimitives.ReadUInt16BigEndian(data);
                var weight = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                var port = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
                cursor.Position += 6;
                return ReadName(packet, ref cursor, end) is { } host && cursor.EndsAt(end) ? new SrvRecordData(priority, weight, port, host) : null;
            case DnsRecordType.Txt:
                return ReadTxt(data, ref cursor);
            default:
                return new RawRecordData(data.ToArray());
        }
    }

    private static TxtRecordData? ReadTxt(ReadOnlySpan<byte> data, ref Cursor cursor)
    {
        var strings = new List<string>();
        var position = 0;
        while (position < data.Length)
        {
            var length = data[position];
            if (position + 1 + length > data.Length)
                return cursor.Fail<TxtRecordData>($"TXT string of {length} bytes overruns the record's {data.Length}");
            cursor.Work++;

            // RFC 6763 §6.1: an empty TXT record is one empty string; it carries no attribute.
            if (length > 0)
                strings.Add(Encoding.UTF8.GetString(data.Slice(position + 1, length)));
            position += 1 + length;
        }

        return new TxtRecordData(strings);
    }

    /// <summary>
    /// Reads the name at the cursor, whose uncompressed part must end before <paramref name="inlineEnd"/> (the end
    /// of the record data it sits in). Leaves the cursor after that part; on failure returns null with the reason.
    /// </summary>
    private static DnsName? ReadName(ReadOnlySpan<byte> packet, ref Cursor cursor, int inlineEnd)
    {
        var labels = new List<string>();
        var position = cursor.Position;
        var end = inlineEnd;
        var lowestReached = cursor.Position;
        var resumeAt = -1;
        var wireLength = 1;
        var jumps = 0;
        while (true)
        {
            if (position >= end)
                return cursor.Fail<DnsName>("name truncated");
            var length = packet[position];
            cursor.Work++;
            switch (length & 0xC0)
            {
                case 0x00 when length == 0:
                    cursor.Position = resumeAt < 0 ? position + 1 : resumeAt;
                    return DnsName.FromWire([.. labels]);
                case 0x00:
                    wireLength += 1 + length;
                    if (wireLength > DnsName.MaxWireLength)
                        return cursor.Fail<DnsName>($"name longer than {DnsName.MaxWireLength} bytes");
                    if (position + 1 + length > end)
                        return cursor.Fail<DnsName>("label truncated");
                    labels.Add(Encoding.UTF8.GetString(packet.Slice(position + 1, length)));
                    position += 1 + length;
                    break;
                case 0xC0:
                    if (position + 2 > end)
                        return cursor.Fail<DnsName>("compression pointer truncated");
                    var target = ((length & 0x3F) << 8) | packet[position + 1];
                    if (target >= lowestReached)
                        return cursor.Fail<DnsName>($"compression pointer at {position} to {target} does not point strictly backwards");
                    if (++jumps > MaxJumpsPerName)
                        return cursor.Fail<DnsName>($"name follows more than {MaxJumpsPerName} compression pointers");
                    if (resumeAt < 0)
                        resumeAt = position + 2;
                    lowestReached = target;
                    position = target;

                    // Earlier data was bounded when it was read as its own record; here only the packet bounds it.
                    end = packet.Length;
                    break;
                default:
                    return cursor.Fail<DnsName>($"label type 0x{length & 0xC0:x2} is not defined");
            }
        }
    }

    /// <summary>Read position, work done and the last failure's reason, shared by the helpers of one read.</summary>
    private struct Cursor
    {
        public int Position;
        public int Work;
        public string Problem;

        public DnsRecordData? Fail(string problem) => Fail<DnsRecordData>(problem);

        public T? Fail<T>(string problem)
            where T : class
        {
            Problem = problem;
            return null;
        }

        /// <summary>The name just read filled its record's data exactly; extra bytes make the record malformed.</summary>
        public bool EndsAt(int end)
        {
            if (Position == end)
                return true;
            Problem = $"{end - Position} bytes after the name in the record data";
            return false;
        }
    }
}
