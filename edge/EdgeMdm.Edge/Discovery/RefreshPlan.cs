using EdgeMdm.Discovery.Service;

namespace EdgeMdm.Edge.Discovery;

/// <summary>What the responder serves: the service (null while there is nothing to advertise) and the interfaces.</summary>
internal sealed record ServedState(MdnsResponder? Responder, IReadOnlyDictionary<int, SiteInterface> Interfaces)
{
    public static ServedState Nothing { get; } = new(null, new Dictionary<int, SiteInterface>());
}

/// <summary>
/// What to send when the served state changes (RFC 6762 §8.4, §10.1): a changed service says goodbye with its old
/// records where it was served and is announced everywhere; otherwise new interfaces, and interfaces whose
/// addresses changed, get an announcement. An interface that is gone gets nothing: it cannot carry it.
/// </summary>
internal sealed record RefreshPlan(
    MdnsResponder? GoodbyeFrom,
    IReadOnlyList<SiteInterface> GoodbyeOn,
    MdnsResponder? AnnounceWith,
    IReadOnlyList<SiteInterface> AnnounceOn)
{
    public static RefreshPlan Between(ServedState previous, ServedState next)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(next);
        var serviceChanged = previous.Responder is { } before && next.Responder is { } after && !before.Service.Equals(after.Service);
        IReadOnlyList<SiteInterface> goodbyeOn = serviceChanged
            ? previous.Interfaces.Values.Where(nic => next.Interfaces.ContainsKey(nic.Index)).ToList()
            : [];
        IReadOnlyList<SiteInterface> announceOn = next.Responder is null
            ? []
            : next.Interfaces.Values
                .Where(nic => serviceChanged || previous.Responder is null
                    || !previous.Interfaces.TryGetValue(nic.Index, out var was) || !was.SameAs(nic))
                .OrderBy(nic => nic.Index)
                .ToList();
        return new RefreshPlan(serviceChanged ? previous.Responder : null, goodbyeOn, next.Responder, announceOn);
    }
}
