using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeMdm.Domain.Custody;

/// <summary>What is wrong with one event of a chain.</summary>
public enum CustodyProblemKind
{
    /// <summary>The event's content is not what was hashed: its own hash does not match it, or its hash was recomputed
    /// and the next event (or the head held elsewhere) still names the original.</summary>
    Edited,

    /// <summary>The event is missing: an index gap, a previous hash pointing to no stored event, or a head held
    /// elsewhere (the hub's) past the last stored event.</summary>
    Removed,

    /// <summary>The event is stored out of its place: stored (inserted) after a later event, its content hashed at
    /// another index, or its previous hash naming an event other than the one before it.</summary>
    Reordered,
}

/// <summary>One problem of a chain: the subject, the index of the event it is about, what kind and, in words, how it shows.</summary>
public sealed record CustodyProblem(string Subject, long Index, CustodyProblemKind Kind, string Detail)
{
    public override string ToString() =>
        $"{Subject} event {Index.ToString(CultureInfo.InvariantCulture)}: {Kind.ToString().ToLowerInvariant()} ({Detail})";
}

/// <summary>
/// The head of a subject's chain as held somewhere else than the events themselves (the hub's record of what the site
/// sent): the last index and its hash. An event edited and its hash recomputed with nothing after it, or the last
/// events removed, show only against such a head.
/// </summary>
public sealed record CustodyHead(string Subject, long Index, string Hash);

/// <summary>The verdict over a set of chains: how many chains and events were read, and every problem found.</summary>
public sealed record CustodyVerification(int Chains, int Events, IReadOnlyList<CustodyProblem> Problems)
{
    public bool AllVerify => Problems.Count == 0;
}

/// <summary>
/// Verifies chains of custody as they are stored (pure). The events are given in their stored order (the order they
/// were inserted: the edge's rowid, the hub's sync sequence), so that an event moved in storage shows even when its
/// index was kept. Each problem names the subject, the event's index and its kind (<see cref="CustodyProblemKind"/>).
/// </summary>
public static partial class CustodyVerifier
{
    /// <summary>Removed events named one by one in one gap; the rest of a larger gap is one problem.</summary>
    public const int MaxNamedPerGap = 100;

    private const long MaxSearchedIndex = 10_000;

    /// <summary>Verifies every subject's chain in <paramref name="stored"/> (stored order), against <paramref name="heads"/> when given.</summary>
    public static CustodyVerification VerifyAll(IEnumerable<CustodyEvent> stored, IEnumerable<CustodyHead>? heads = null)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var chains = new Dictionary<string, List<CustodyEvent>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var e in stored)
        {
            if (!chains.TryGetValue(e.Subject, out var chain))
            {
                chains[e.Subject] = chain = [];
                order.Add(e.Subject);
            }

            chain.Add(e);
        }

        var headOf = (heads ?? []).ToDictionary(h => h.Subject, StringComparer.Ordinal);
        var problems = new List<CustodyProblem>();
        var events = 0;
        foreach (var subject in order)
        {
            events += chains[subject].Count;
            problems.AddRange(Verify(chains[subject], headOf.GetValueOrDefault(subject)));
        }

        // A head whose subject has no stored event at all: the whole chain was removed.
        foreach (var head in headOf.Values.Where(h => !chains.ContainsKey(h.Subject)).OrderBy(h => h.Subject, StringComparer.Ordinal))
        {
            problems.AddRange(Missing(head.Subject, 0, head.Index, "no event of this subject is stored, but its head is held"));
        }

        return new CustodyVerification(order.Count + headOf.Keys.Count(s => !chains.ContainsKey(s)), events, problems);
    }

    /// <summary>
    /// Verifies one subject's events, in stored order; <paramref name="head"/>: the head held elsewhere, if any.
    /// Returns the problems by index, each event named once per kind.
    /// </summary>
    public static IReadOnlyList<CustodyProblem> Verify(IReadOnlyList<CustodyEvent> stored, CustodyHead? head = null)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Count == 0)
            return head is null ? [] : Missing(head.Subject, 0, head.Index, "no event is stored, but the head is held");
        var subject = stored[0].Subject;
        var problems = new List<CustodyProblem>();
        var byIndex = stored.OrderBy(e => e.Index).ToList();
        var flagged = new HashSet<long>();
        var hashes = byIndex.GroupBy(e => e.Hash, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Index, StringComparer.Ordinal);
        var maxIndex = Math.Max(byIndex[^1].Index, head?.Index ?? 0);
        CustodyEvent? previous = null;
        foreach (var e in byIndex)
        {
            var expected = previous is null ? 0 : previous.Index + 1;
            if (previous is not null && e.Index == previous.Index)
            {
                problems.Add(new CustodyProblem(subject, e.Index, CustodyProblemKind.Edited, "a second event is stored with this index"));
                continue;
            }

            if (e.Index > expected)
                problems.AddRange(Missing(subject, expected, e.Index - 1, $"no event is stored with this index; event {Text(e.Index)} follows event {(previous is null ? "none" : Text(previous.Index))}"));
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
    private static IEnumerable<CustodyProblem> StoredOutOfOrder(IReadOnlyList<CustodyEvent> stored)
    {
        var kept = LongestIncreasingRun(stored);
        for (var i = 0; i < stored.Count; i++)
        {
            if (kept.Contains(i))
                continue;
            var before = i > 0 ? stored[i - 1].Index : -1;
            yield return new CustodyProblem(stored[i].Subject, stored[i].Index, CustodyProblemKind.Reordered,
                i > 0 && before >= stored[i].Index
                    ? $"stored after event {Text(before)}"
                    : "stored out of its place among the subject's events");
        }
    }

    /// <summary>Positions (in <paramref name="stored"/>) of one longest strictly increasing subsequence of indexes (patience sorting).</summary>
    private static HashSet<int> LongestIncreasingRun(IReadOnlyList<CustodyEvent> stored)
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
    private static CustodyProblem? OwnHashProblem(CustodyEvent e, long maxIndex)
    {
        if (string.Equals(CustodyChain.HashOf(e), e.Hash, StringComparison.Ordinal))
            return null;
        // Where else it could have been recorded: bounded, so an index written absurdly large costs nothing.
        for (var k = 0L; k <= Math.Min(maxIndex + 1, MaxSearchedIndex); k++)
        {
            if (k != e.Index && string.Equals(CustodyChain.HashOf(e with { Index = k }), e.Hash, StringComparison.Ordinal))
                return new CustodyProblem(e.Subject, e.Index, CustodyProblemKind.Reordered, $"it was recorded as event {Text(k)}");
        }

        return new CustodyProblem(e.Subject, e.Index, CustodyProblemKind.Edited, "its hash does not match its content");
    }

    /// <summary>The event's previous hash against the event stored before it.</summary>
    private static CustodyProblem? LinkProblem(CustodyEvent e, CustodyEvent? previous, Dictionary<string, long> hashes, HashSet<long> flagged)
    {
        if (previous is null || previous.Index != e.Index - 1)
        {
            // The first stored event: index 0 names no predecessor; a later one was preceded by removed events (named).
            return e.Index == 0 && e.PreviousHash.Length > 0 && !flagged.Contains(e.Index)
                ? new CustodyProblem(e.Subject, e.Index, CustodyProblemKind.Edited, "the first event names a previous event")
                : null;
        }

        if (string.Equals(e.PreviousHash, previous.Hash, StringComparison.Ordinal) || flagged.Contains(previous.Index) || flagged.Contains(e.Index))
            return null;
        if (hashes.TryGetValue(e.PreviousHash, out var other) && other != previous.Index)
            return new CustodyProblem(e.Subject, e.Index, CustodyProblemKind.Reordered, $"it follows event {Text(other)}, not event {Text(previous.Index)}");
        // The event is whole and the one before it is consistent in itself, yet not what this one followed: the one
        // before was edited and its hash recomputed.
        return new CustodyProblem(e.Subject, previous.Index, CustodyProblemKind.Edited,
            $"its hash was recomputed: event {Text(e.Index)} holds another hash for it");
    }

    private static List<CustodyProblem> AgainstHead(List<CustodyEvent> byIndex, CustodyHead head, HashSet<long> flagged)
    {
        var last = byIndex[^1];
        if (last.Index < head.Index)
            return Missing(head.Subject, last.Index + 1, head.Index, $"the head held elsewhere is event {Text(head.Index)}, the last stored is event {Text(last.Index)}");
        var atHead = byIndex.FirstOrDefault(e => e.Index == head.Index);
        if (atHead is null || string.Equals(atHead.Hash, head.Hash, StringComparison.Ordinal) || flagged.Contains(head.Index))
            return [];
        return [new CustodyProblem(head.Subject, head.Index, CustodyProblemKind.Edited, "its hash is not the one the head held elsewhere names")];
    }

    private static List<CustodyProblem> Missing(string subject, long from, long through, string detail)
    {
        var missing = new List<CustodyProblem>();
        for (var k = from; k <= through && k - from < MaxNamedPerGap; k++)
            missing.Add(new CustodyProblem(subject, k, CustodyProblemKind.Removed, detail));
        if (through - from >= MaxNamedPerGap)
        {
            missing.Add(new CustodyProblem(subject, from + MaxNamedPerGap, CustodyProblemKind.Removed,
                $"and every event through {Text(through)}: {detail}"));
        }

        return missing;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^[0-9a-f]{64}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex HashForm();
}
