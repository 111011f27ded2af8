using EdgeMdm.Domain.Chains;

namespace EdgeMdm.Domain.Custody;

/// <summary>What a chain of custody is about: a device (by its id) or a battery pack (by its serial).</summary>
public enum CustodySubjectKind
{
    Device,
    Battery,
}

/// <summary>How a decommissioned device's data was erased, and the certificate that proves it.</summary>
public sealed record ErasureRecord(string Method, string CertificateId);

/// <summary>
/// One hand-off as a person or the appliance states it, before it takes its place in the chain: who handed the
/// subject from whom to whom, where, and for decommissioning the erasure record.
/// </summary>
public sealed record CustodyHandOff(
    string Subject,
    CustodySubjectKind SubjectKind,
    string From,
    string To,
    string Actor,
    string? Place = null,
    string? Note = null,
    ErasureRecord? Erasure = null);

/// <summary>
/// A hand-off in its chain: <see cref="Index"/> is its 0-based position among the subject's events,
/// <see cref="PreviousHash"/> the hash of the one before (empty for the first) and <see cref="Hash"/> its own
/// (<see cref="CustodyChain.HashOf"/>). The time is part of the hash, to the millisecond.
/// </summary>
public sealed record CustodyEvent(
    string Subject,
    CustodySubjectKind SubjectKind,
    long Index,
    DateTimeOffset At,
    string From,
    string To,
    string Actor,
    string Place,
    string Note,
    string ErasureMethod,
    string ErasureCertificate,
    string PreviousHash,
    string Hash) : IChainLink<CustodyEvent>
{
    string IChainLink<CustodyEvent>.Chain => Subject;

    public static string HashOf(CustodyEvent link) => CustodyChain.HashOf(link);

    public CustodyEvent AtIndex(long index) => this with { Index = index };
}

/// <summary>
/// The hash chain of a subject's custody events, the same at the site and at the hub. An event's hash covers every
/// field but the hash itself, each written with its length so that no two different events share a canonical form.
/// </summary>
public static class CustodyChain
{
    /// <summary>The event that follows <paramref name="previous"/> (null: the subject's first) for <paramref name="handOff"/> at <paramref name="at"/>.</summary>
    public static CustodyEvent Next(CustodyEvent? previous, CustodyHandOff handOff, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(handOff);
        // The chain stores milliseconds; an event hashed with finer time would not verify once read back.
        var atMs = DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());
        var draft = new CustodyEvent(
            handOff.Subject, handOff.SubjectKind, previous is null ? 0 : previous.Index + 1, atMs,
            handOff.From, handOff.To, handOff.Actor, handOff.Place ?? "", handOff.Note ?? "",
            handOff.Erasure?.Method ?? "", handOff.Erasure?.CertificateId ?? "", previous?.Hash ?? "", Hash: "");
        return draft with { Hash = HashOf(draft) };
    }

    /// <summary>SHA-256 (lowercase hex) of the event's canonical form; <see cref="CustodyEvent.Hash"/> is not part of it.</summary>
    public static string HashOf(CustodyEvent custodyEvent)
    {
        ArgumentNullException.ThrowIfNull(custodyEvent);
        return new ChainCanonical()
            .Field("v1")
            .Field(custodyEvent.Subject)
            .Field(custodyEvent.SubjectKind == CustodySubjectKind.Device ? "device" : "battery")
            .Field(custodyEvent.Index)
            .Field(custodyEvent.At.ToUnixTimeMilliseconds())
            .Field(custodyEvent.From)
            .Field(custodyEvent.To)
            .Field(custodyEvent.Actor)
            .Field(custodyEvent.Place)
            .Field(custodyEvent.Note)
            .Field(custodyEvent.ErasureMethod)
            .Field(custodyEvent.ErasureCertificate)
            .Field(custodyEvent.PreviousHash)
            .Sha256();
    }
}
