using System.Text;

namespace EdgeMdm.Agent;

/// <summary>Stable seeds: the same input gives the same seed in every process (unlike string.GetHashCode).</summary>
internal static class Seeds
{
    /// <summary>FNV-1a over the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static int Of(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
            hash = (hash ^ b) * 16777619u;
        return (int)hash;
    }

    /// <summary>SplitMix64 finaliser of (seed, salt): neighbouring inputs give unrelated seeds.</summary>
    public static int Mix(int seed, int salt)
    {
        var z = ((ulong)(uint)seed << 32) | (uint)salt;
        z += 0x9E3779B97F4A7C15ul;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
        z ^= z >> 31;
        return (int)z;
    }
}
