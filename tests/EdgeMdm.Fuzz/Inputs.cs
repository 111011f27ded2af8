using System.Text;

namespace EdgeMdm.Fuzz;

/// <summary>One edit of a seed input: what to do, where (taken modulo the length), with which byte, over how many bytes.</summary>
public sealed record Mutation(MutationKind Kind, int Position, byte Value, int Length);

public enum MutationKind
{
    FlipBit,
    SetByte,
    Insert,
    Delete,
    Duplicate,
    Truncate,
}

/// <summary>
/// Generators of hostile input: random bytes, and valid inputs edited a few times (a flipped bit, a byte set to a
/// boundary value, bytes inserted, deleted or repeated, a cut), which reach deeper into a parser than random bytes
/// do. Every generator shrinks: towards fewer edits, smaller positions and values, shorter inputs.
/// </summary>
public static class Inputs
{
    /// <summary>Byte values parsers treat specially: zero, sign and length boundaries, DNS pointers, JSON and YAML punctuation.</summary>
    private static readonly byte[] Boundaries = [0x00, 0x01, 0x7F, 0x80, 0xC0, 0xFE, 0xFF, (byte)'"', (byte)'\\', (byte)'{', (byte)'[', (byte)':', (byte)'&', (byte)'*', (byte)'\n'];

    private static readonly Gen<Mutation> OneMutation = Gen.Select(
        Gen.Enum<MutationKind>(),
        Gen.Int[0, 4096],
        Gen.Frequency((1, Gen.Byte), (1, Gen.OneOf(Boundaries))),
        Gen.Int[1, 64],
        (kind, position, value, length) => new Mutation(kind, position, value, length));

    /// <summary>Random bytes, up to <paramref name="maxLength"/>.</summary>
    public static Gen<byte[]> RandomBytes(int maxLength) => Gen.Byte.Array[0, maxLength];

    /// <summary>One of <paramref name="seeds"/> edited one to eight times.</summary>
    public static Gen<byte[]> Mutated(IReadOnlyList<byte[]> seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        return Gen.Select(Gen.Int[0, seeds.Count - 1], OneMutation.Array[1, 8], (seed, edits) => Apply(seeds[seed], edits));
    }

    /// <summary>Random bytes or an edited seed, half and half.</summary>
    public static Gen<byte[]> Hostile(IReadOnlyList<byte[]> seeds, int maxRandomLength) =>
        Gen.Frequency((1, RandomBytes(maxRandomLength)), (3, Mutated(seeds)));

    /// <summary>Text edited as UTF-8 bytes (so an edit can split a character: the decoder's replacement is part of the test).</summary>
    public static Gen<string> MutatedText(IReadOnlyList<string> seeds) =>
        Mutated([.. seeds.Select(Encoding.UTF8.GetBytes)]).Select(bytes => Encoding.UTF8.GetString(bytes));

    public static byte[] Apply(byte[] seed, IEnumerable<Mutation> edits)
    {
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(edits);
        var bytes = new List<byte>(seed);
        foreach (var edit in edits)
            Apply(bytes, edit);
        return [.. bytes];
    }

    private static void Apply(List<byte> bytes, Mutation edit)
    {
        var at = bytes.Count == 0 ? 0 : edit.Position % bytes.Count;
        var length = Math.Min(edit.Length, bytes.Count - at);
        switch (edit.Kind)
        {
            case MutationKind.FlipBit when bytes.Count > 0:
                bytes[at] ^= (byte)(1 << (edit.Value % 8));
                break;
            case MutationKind.SetByte when bytes.Count > 0:
                bytes[at] = edit.Value;
                break;
            case MutationKind.Insert:
                bytes.InsertRange(at, Enumerable.Repeat(edit.Value, edit.Length));
                break;
            case MutationKind.Delete:
                bytes.RemoveRange(at, length);
                break;
            case MutationKind.Duplicate:
                bytes.InsertRange(at, bytes.GetRange(at, length));
                break;
            case MutationKind.Truncate:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
        }
    }
}
