namespace EdgeMdm.Edge.Checkin;

/// <summary>How often one device may check in (section <c>Edge:Limits</c>), under rate-limiter policy <see cref="Policy"/>.</summary>
public sealed class CheckinLimitOptions
{
    public const string Policy = "checkin";

    /// <summary>
    /// Check-ins a second from one device, with six seconds' worth at once; 0 lifts it. A device checks in once an
    /// interval and when woken; this only stops an agent caught in a loop from taking the floor's share of the writer.
    /// </summary>
    public int CheckinsPerSecondPerDevice { get; set; } = 10;
}
