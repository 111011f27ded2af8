using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Security.Cryptography;

namespace EdgeMdm.Domain.Chains;

/// <summary>
/// One link of an append-only hash chain (a custody subject's events, a site's or the hub's audit records): the chain
/// it belongs to, its 0-based <see cref="Index"/>, the hash of the link before (empty for the first) and its own hash
/// over its canonical form (<see cref="HashOf"/>, which covers every field but the hash itself, the index included).
/// </summary>
public interface IChainLink<TSelf>
    where TSelf : class, IChainLink<TSelf>
{
    string Chain { get; }

    long Index { get; }

    string PreviousHash { get; }

    string Hash { get; }

    /// <summary>SHA-256 (lowercase hex) of the link's canonical form; the link's own <see cref="Hash"/> is not part of it.</summary>
    static abstract string HashOf(TSelf link);

    /// <summary>The same content at another index: how the verifier finds where a moved link was hashed.</summary>
    TSelf AtIndex(long index);
}

/// <summary>What is wrong with one link of a chain.</summary>
public enum ChainProblemKind
{
    /// <summary>The link's content is not what was hashed: its own hash does not match it, or its hash was recomputed
    /// and the next link (or the head held elsewhere) still names the original.</summary>
    Edited,

    /// <summary>The link is missing: an index gap, a previous hash pointing to no stored link, or a head held
    /// elsewhere past the last stored link.</summary>
    Removed,

    /// <summary>The link is stored out of its place: stored (inserted) after a later link, its content hashed at
    /// another index, or its previous hash naming a link other than the one before it.</summary>
    Reordered,
}

/// <summary>One problem of a chain: the chain, the index of the link it is about, what kind and, in words, how it shows.</summary>
public sealed record ChainProblem(string Chain, long Index, ChainProblemKind Kind, string Detail);

/// <summary>
/// The head of a chain as held somewhere else than the links themselves (the hub's record of what a site sent, a head
/// row): the last index and its hash. A link edited and its hash recomputed with nothing after it, or the last links
/// removed, show only against such a head.
/// </summary>
public sealed record ChainHead(string Chain, long Index, string Hash);

/// <summary>The verdict over a set of chains: how many chains and links were read, and every problem found.</summary>
public sealed record ChainVerification(int Chains, int Links, IReadOnlyList<ChainProblem> Problems)
{
    public bool AllVerify => Problems.Count == 0;
}

/// <summary>
/// The canonical form every chain hashes: each field written with its length, so that no two different links share
/// one, then SHA-256 as lowercase hex.
/// </summary>
public sealed class ChainCanonical
{
    private readonly StringBuilder _text = new();

    public ChainCanonical Field(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _text.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');
        return this;
    }

    public ChainCanonical Field(long value) => Field(value.ToString(CultureInfo.InvariantCulture));

    public string Sha256() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_text.ToString())));
}

/// <summary>
/// Verifies hash chains as they are stored (pure). The links are given in their stored order (the order they were
/// inserted: the edge's rowid, the hub's sync sequence), so that a link moved in storage shows even when its index was
/// kept. Each problem names the chain, the link's index and its kind (<see cref="ChainProblemKind"/>).
/// </summary>
public static partial class ChainVerifier
{
    /// <summary>Removed links named one by one in one gap; the rest of a larger gap is one problem.</summary>
    public const int MaxNamedPerGap = 100;

    private const long MaxSearchedIndex = 10_000;

    /// <summary>Verifies every chain's chain in <paramref name="stored"/> (stored order), against <paramref name="heads"/> when given.</summary>
    public static ChainVerification VerifyAll<T>(IEnumerable<T> stored, IEnumerable<ChainHead>? heads = null)
        where T : class, IChainLink<T>
    {
        ArgumentNullException.ThrowIfNull(stored);
        var chains = new Dictionary<string, List<T>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var e in stored)
        {
            if (!chains.TryGetValue(e.Chain, out var chain))
            {
                chains[e.Chain] = chain = [];
                order.Add(e.Chain);
            }

            chain.Add(e);
        }

        var headOf = (heads ?? []).ToDictionary(h => h.Chain, StringComparer.Ordinal);
        var problems = new List<ChainProblem>();
        var links = 0;
        foreach (var chain in order)
        {
            links += chains[chain].Count;
            problems.AddRange(Verify(chains[chain], headOf.GetValueOrDefault(chain)));
        }

        // A head whose chain has no stored event at all: the whole chain was removed.
        foreach (var head in headOf.Values.Where(h => !chains.ContainsKey(h.Chain)).OrderBy(h => h.Chain, StringComparer.Ordinal))
        {
            problems.AddRange(Missing(head.Chain, 0, head.Index, "no event of this chain is stored, but its head is held"));
        }

        return new ChainVerification(order.Count + headOf.Keys.Count(s => !chains.ContainsKey(s)), links, problems);
    }

    /// <summary>
    /// Verifies one chain's events, in stored order; <paramref name="head"/>: the head held elsewhere, if any.
    /// Returns the problems by index, each event named once per kind.
    /// </summary>
    public static IReadOnlyList<ChainProblem> Verify<T>(IReadOnlyList<T> stored, ChainHead? head = null)
        where T : class, IChainLink<T>
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Count == 0)
            return head is null ? [] : Missing(head.Chain, 0, head.Index, "no event is stored, but the head is held");
        var chain = stored[0].Chain;
        var problems = new List<ChainProblem>();
        var byIndex = stored.OrderBy(e => e.Index).ToList();
        var flagged = new HashSet<long>();
        var hashes = byIndex.GroupBy(e => e.Hash, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Index, StringComparer.Ordinal);
        var maxIndex = Math.Max(byIndex[^1].Index, head?.Index ?? 0);
        T? previous = null;
        foreach (var e in byIndex)
        {
            var expected = previous is null ? 0 : previous.Index + 1;
            if (previous is not null && e.Index == previous.Index)
            {
                problems.Add(new ChainProblem(chain, e.Index, ChainProblemKind.Edited, "a second event is stored with this index"));
                continue;
            }

            if (e.Index > expected)
                problems.AddRange(Missing(chain, expected, e.Index - 1, $"no event is stored with this index; event {Text(e.Index)} follows event {(previous is null ? "none" : Text(previous.Index))}"));
            if (OwnHashProblem(e, maxIndex) is { } own)
            {
                problems.Add(own);
                flagged.Add(e.Index);
            }

            if (LinkProblem(e, previous, hashes, flagged) is { } link)
            {
                problems.Add(link);
                flagged.Add(link.Index);
            }

            previous = e;
        }

        if (head is not null)
            problems.AddRange(AgainstHead(byIndex, head, flagged));
        // Last, so that an event also named by its hash keeps that (more telling) detail.
        problems.AddRange(StoredOutOfOrder(stored));
        return problems
            .DistinctBy(p => (p.Index, p.Kind))
            .OrderBy(p => p.Index)
            .ThenBy(p => p.Kind)
            .ToList();
    }

    /// <summary>Whether <paramref name="hash"/> has the form of a chain hash: SHA-256 as 64 lowercase hex digits.</summary>
    public static bool IsHash(string? hash) => hash is not null && HashForm().IsMatch(hash);

    /// <summary>
    /// Events stored out of index order: those outside the longest run of increasing indexes in stored order (the fewest
    /// events that, moved back, restore the order). At the edge rows are only appended, so storage order is index order.
    /// </summary>
    private static IEnumerable<ChainProblem> StoredOutOfOrder<T>(IReadOnlyList<T> stored)
        where T : class, IChainLink<T>
    {
        var kept = LongestIncreasingRun(stored);
        for (var i = 0; i < stored.Count; i++)
        {
            if (kept.Contains(i))
                continue;
            var before = i > 0 ? stored[i - 1].Index : -1;
            yield return new ChainProblem(stored[i].Chain, stored[i].Index, ChainProblemKind.Reordered,
                i > 0 && before >= stored[i].Index
                    ? $"stored after event {Text(before)}"
                    : "stored out of its place among the chain's events");
        }
    }

    /// <summary>Positions (in <paramref name="stored"/>) of one longest strictly increasing subsequence of indexes (patience sorting).</summary>
    private static HashSet<int> LongestIncreasingRun<T>(IReadOnlyList<T> stored)
        where T : class, IChainLink<T>
    {
        var tails = new List<int>();
        var parent = new int[stored.Count];
        for (var i = 0; i < stored.Count; i++)
        {
            int lo = 0, hi = tails.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (stored[tails[mid]].Index < stored[i].Index)
                    lo = mid + 1;
                else
                    hi = mid;
            }

            parent[i] = lo > 0 ? tails[lo - 1] : -1;
            if (lo == tails.Count)
                tails.Add(i);
            else
                tails[lo] = i;
        }

        var run = new HashSet<int>();
        for (var at = tails.Count == 0 ? -1 : tails[^1]; at >= 0; at = parent[at])
            run.Add(at);
        return run;
    }

    /// <summary>The event's own hash against its content: edited, or (the content hashed at another index) moved.</summary>
    private static ChainProblem? OwnHashProblem<T>(T e, long maxIndex)
        where T : class, IChainLink<T>
    {
        if (string.Equals(T.HashOf(e), e.Hash, StringComparison.Ordinal))
            return null;
        // Where else it could have been recorded: bounded, so an index written absurdly large costs nothing.
        for (var k = 0L; k <= Math.Min(maxIndex + 1, MaxSearchedIndex); k++)
        {
            if (k != e.Index && string.Equals(T.HashOf(e.AtIndex(k)), e.Hash, StringComparison.Ordinal))
                return new ChainProblem(e.Chain, e.Index, ChainProblemKind.Reordered, $"it was recorded as event {Text(k)}");
        }

        return new ChainProblem(e.Chain, e.Index, ChainProblemKind.Edited, "its hash does not match its content");
    }

    /// <summary>The event's previous hash against the event stored before it.</summary>
    private static ChainProblem? LinkProblem<T>(T e, T? previous, Dictionary<string, long> hashes, HashSet<long> flagged)
        where T : class, IChainLink<T>
    {
        if (previous is null || previous.Index != e.Index - 1)
        {
            // The first stored event: index 0 names no predecessor; a later one was preceded by removed events (named).
            return e.Index == 0 && e.PreviousHash.Length > 0 && !flagged.Contains(e.Index)
                ? new ChainProblem(e.Chain, e.Index, ChainProblemKind.Edited, "the first event names a previous event")
                : null;
        }

        if (string.Equals(e.PreviousHash, previous.Hash, StringComparison.Ordinal) || flagged.Contains(previous.Index) || flagged.Contains(e.Index))
            return null;
        if (hashes.TryGetValue(e.PreviousHash, out var other) && other != previous.Index)
            return new ChainProblem(e.Chain, e.Index, ChainProblemKind.Reordered, $"it follows event {Text(other)}, not event {Text(previous.Index)}");
        // The event is whole and the one before it is consistent in itself, yet not what this one followed: the one
        // before was edited and its hash recomputed.
        return new ChainProblem(e.Chain, previous.Index, ChainProblemKind.Edited,
            $"its hash was recomputed: event {Text(e.Index)} holds another hash for it");
    }

    private static List<ChainProblem> AgainstHead<T>(List<T> byIndex, ChainHead head, HashSet<long> flagged)
        where T : class, IChainLink<T>
    {
        var last = byIndex[^1];
        if (last.Index < head.Index)
            return Missing(head.Chain, last.Index + 1, head.Index, $"the head held elsewhere is event {Text(head.Index)}, the last stored is event {Text(last.Index)}");
        var atHead = byIndex.FirstOrDefault(e => e.Index == head.Index);
        if (atHead is null || string.Equals(atHead.Hash, head.Hash, StringComparison.Ordinal) || flagged.Contains(head.Index))
            return [];
        return [new ChainProblem(head.Chain, head.Index, ChainProblemKind.Edited, "its hash is not the one the head held elsewhere names")];
    }

    private static List<ChainProblem> Missing(string chain, long from, long through, string detail)
    {
        var missing = new List<ChainProblem>();
        for (var k = from; k <= through && k - from < MaxNamedPerGap; k++)
            missing.Add(new ChainProblem(chain, k, ChainProblemKind.Removed, detail));
        if (through - from >= MaxNamedPerGap)
        {
            missing.Add(new ChainProblem(chain, from + MaxNamedPerGap, ChainProblemKind.Removed,
                $"and every event through {Text(through)}: {detail}"));
        }

        return missing;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^[0-9a-f]{64}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex HashForm();
}
