using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace EdgeMdm.Fuzz;

/// <summary>
/// The values a generated protobuf message is built from, consumed in order as its fields are filled: CsCheck shrinks
/// these lists (fewer, smaller numbers; shorter, plainer texts), so a failing message shrinks with them. Exhausted
/// lists read as 0 and "".
/// </summary>
public sealed class Choices(long[] numbers, string[] texts)
{
    private int _number;
    private int _text;

    public long Number() => _number < numbers.Length ? numbers[_number++] : 0;

    public string Text() => _text < texts.Length ? texts[_text++] : "";

    public override string ToString() => $"numbers [{string.Join(", ", numbers)}] texts [{string.Join(", ", texts.Select(t => t.Length > 80 ? $"{t[..80]}…({t.Length})" : t))}]";
}

/// <summary>
/// Any protobuf message of the sync contract filled field by field from <see cref="Choices"/>, through the message's
/// descriptor: every scalar, enum, nested message, list and map, and one case of each oneof. A new field or change type
/// added to sync.proto is fuzzed without a change here.
/// </summary>
public static class ProtobufInputs
{
    private const int MaxDepth = 4;

    private static readonly Gen<long> Numbers = Gen.Frequency(
        (4, Gen.Long[-2, 200]),
        (1, Gen.OneOf(long.MinValue, long.MaxValue, int.MinValue, int.MaxValue, uint.MaxValue, -1L, 1L << 53)),
        (1, Gen.Long));

    /// <summary>Texts that mean something to the handlers (ids, JSON, times, hashes) and texts that mean nothing.</summary>
    private static readonly Gen<string> Texts = Gen.Frequency(
        (4, Gen.OneOf(
            "", "dev-1", "pickers", "com.edgemdm.sample.scanner", "supervisor", "technician", "device", "battery", "2026-11-24T08:00:00Z",
            "{}", "[]", "null", "{\"group\":\"pickers\"}", "{\"group\":null,\"apps\":null}", "{\"name\":\"p\",\"steps\":[{}]}", "\"x\"", "1e999",
            new string('a', 64), "0123456789abcdef0123456789abcdef", "../../etc/passwd", "%s%n", "\0", "é\u202e", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")),
        (2, Gen.String),
        (1, Gen.Char.Array[0, 10_000].Select(chars => new string(chars))));

    public static readonly Gen<Choices> AnyChoices = Gen.Select(Numbers.Array[0, 120], Texts.Array[0, 60], (numbers, texts) => new Choices(numbers, texts));

    /// <summary>A new message of <paramref name="descriptor"/>'s type with every field filled.</summary>
    public static IMessage Fill(MessageDescriptor descriptor, Choices choices, int depth = 0)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(choices);
        var message = descriptor.Parser.ParseFrom(ByteString.Empty);
        foreach (var field in descriptor.Fields.InFieldNumberOrder().Where(f => f.RealContainingOneof is null))
            Set(message, field, choices, depth);
        foreach (var oneof in descriptor.Oneofs.Where(o => !o.IsSynthetic))
            Set(message, oneof.Fields[(int)((ulong)choices.Number() % (ulong)oneof.Fields.Count)], choices, depth);
        return message;
    }

    /// <summary>Fills <paramref name="field"/> (one of a oneof, or any other) of <paramref name="message"/>.</summary>
    public static void Set(IMessage message, FieldDescriptor field, Choices choices, int depth)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(choices);
        if (field.IsMap)
        {
            var map = (IDictionary)field.Accessor.GetValue(message);
            var (key, value) = (field.MessageType.FindFieldByNumber(1), field.MessageType.FindFieldByNumber(2));
            for (var i = Count(choices); i > 0; i--)
                map[Value(key, choices, depth)!] = Value(value, choices, depth);
        }
        else if (field.IsRepeated)
        {
            var list = (IList)field.Accessor.GetValue(message);
            for (var i = Count(choices); i > 0; i--)
                list.Add(Value(field, choices, depth));
        }
        else if (Value(field, choices, depth) is { } value)
        {
            field.Accessor.SetValue(message, value);
        }
    }

    private static int Count(Choices choices) => (int)((ulong)choices.Number() % 4);

    private static object? Value(FieldDescriptor field, Choices choices, int depth) => field.FieldType switch
    {
        FieldType.Bool => choices.Number() % 2 != 0,
        FieldType.String => choices.Text(),
        FieldType.Bytes => ByteString.CopyFromUtf8(choices.Text()),
        FieldType.Double => (double)choices.Number(),
        FieldType.Float => (float)choices.Number(),
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => unchecked((int)choices.Number()),
        FieldType.UInt32 or FieldType.Fixed32 => unchecked((uint)choices.Number()),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => choices.Number(),
        FieldType.UInt64 or FieldType.Fixed64 => unchecked((ulong)choices.Number()),
        FieldType.Enum => Enum.ToObject(field.EnumType.ClrType, unchecked((int)choices.Number())),
        FieldType.Message or FieldType.Group => depth < MaxDepth ? Fill(field.MessageType, choices, depth + 1) : null,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field.FieldType, "a field type this generator does not fill"),
    };
}
