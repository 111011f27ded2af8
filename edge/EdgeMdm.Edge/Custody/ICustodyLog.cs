using EdgeMdm.Domain.Custody;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Custody;

/// <summary>
/// The site's chains of custody (table <c>custody_events</c>). Declared by Custody; a swap or a decommissioning
/// records its own hand-off in its own unit, so the hand-off commits or rolls back with it.
/// </summary>
public interface ICustodyLog
{
    /// <summary>
    /// Appends <paramref name="handOff"/> to its subject's chain in <paramref name="unit"/>, with its upstream event
    /// (<c>CustodyEventRecorded</c>), and returns the event as chained.
    /// </summary>
    CustodyEvent Append(UnitOfWork unit, CustodyHandOff handOff, DateTimeOffset now);

    /// <summary>The subject's events in chain order, as stored (for showing and verifying).</summary>
    IReadOnlyList<CustodyEvent> ChainOf(string subject);
}
