namespace EdgeMdm.Edge.Spares;

/// <summary>A spare's place in its pool (issue 25): Ready only when staged, compliant and charged above the site's threshold.</summary>
public enum SpareState
{
    Ready,
    Charging,
    Staging,
    Assigned,
    InRepair,
    Retired,
}

/// <summary>One pool (per device model) against its minimum: how many spares are in each state.</summary>
public sealed record SparePoolStatus(string Model, int Minimum, int Ready, IReadOnlyDictionary<SpareState, int> ByState)
{
    public bool BelowMinimum => Ready < Minimum;
}

/// <summary>The site's spare pools, as readiness sees them. Declared by Spares.</summary>
public interface ISparePools
{
    IReadOnlyList<SparePoolStatus> Pools();
}
