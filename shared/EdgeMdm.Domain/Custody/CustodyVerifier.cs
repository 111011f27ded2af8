using System.Globalization;
using EdgeMdm.Domain.Chains;

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
/// Verifies chains of custody as they are stored (pure), one chain per subject, by the chain verifier every hash chain
/// shares (<see cref="ChainVerifier"/>). The events are given in their stored order (the edge's rowid, the hub's sync
/// sequence), so that an event moved in storage shows even when its index was kept.
/// </summary>
public static class CustodyVerifier
{
    /// <summary>Removed events named one by one in one gap; the rest of a larger gap is one problem.</summary>
    public const int MaxNamedPerGap = ChainVerifier.MaxNamedPerGap;

    /// <summary>Verifies every subject's chain in <paramref name="stored"/> (stored order), against <paramref name="heads"/> when given.</summary>
    public static CustodyVerification VerifyAll(IEnumerable<CustodyEvent> stored, IEnumerable<CustodyHead>? heads = null)
    {
        var verdict = ChainVerifier.VerifyAll(stored, heads?.Select(h => new ChainHead(h.Subject, h.Index, h.Hash)));
        return new CustodyVerification(verdict.Chains, verdict.Links, verdict.Problems.Select(Problem).ToList());
    }

    /// <summary>Verifies one subject's events, in stored order; <paramref name="head"/>: the head held elsewhere, if any.</summary>
    public static IReadOnlyList<CustodyProblem> Verify(IReadOnlyList<CustodyEvent> stored, CustodyHead? head = null) =>
        ChainVerifier.Verify(stored, head is null ? null : new ChainHead(head.Subject, head.Index, head.Hash)).Select(Problem).ToList();

    /// <summary>Whether <paramref name="hash"/> has the form of a chain hash: SHA-256 as 64 lowercase hex digits.</summary>
    public static bool IsHash(string? hash) => ChainVerifier.IsHash(hash);

    private static CustodyProblem Problem(ChainProblem problem) =>
        new(problem.Chain, problem.Index, (CustodyProblemKind)problem.Kind, problem.Detail);
}
