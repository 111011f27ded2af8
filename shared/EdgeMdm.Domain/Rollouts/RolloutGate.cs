namespace EdgeMdm.Domain.Rollouts;

/// <summary>
/// Whether a device's declarations carry the rollout's version now. <see cref="Offer"/> and
/// <see cref="AlreadyInstalled"/> mean "declare the target"; every other value means "declare what the
/// blueprint had before the rollout" and says why, for the device's page and the operator.
/// </summary>
public enum OfferDecision
{
    Offer,

    /// <summary>Runs the target already: keep declaring it whatever the rollout's state, or the device would be told to downgrade.</summary>
    AlreadyInstalled,

    /// <summary>Reports an OS below the package minimum.</summary>
    Incompatible,

    /// <summary>The package has a minimum OS and the device never reported its OS.</summary>
    OsVersionUnknown,

    WaveNotOpen,
    Halted,
    OutsideMaintenanceWindow,
}

public static class RolloutGate
{
    /// <summary>
    /// The device's own facts first (installed, incompatible, OS unknown), then the rollout's (wave open, not
    /// halted, maintenance window open at <paramref name="now"/>). Reads the report rather than an outcome because
    /// an offline or failed device is still offered: offline ones get it when they come back, failed ones
    /// retry from their cache.
    /// </summary>
    /// <param name="wave">The device's wave (<see cref="WaveAssignment.WaveOf"/>).</param>
    public static OfferDecision Decide(RolloutPlan plan, RolloutProgress progress, RolloutTarget target, int wave, DeviceReport report, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(report);
        if (report.InstalledVersionCode == target.VersionCode)
            return OfferDecision.AlreadyInstalled;
        switch (target.CompatibilityWith(report.OsVersion))
        {
            case OsCompatibility.Incompatible:
                return OfferDecision.Incompatible;
            case OsCompatibility.Unknown:
                return OfferDecision.OsVersionUnknown;
        }

        if (!progress.IsWaveOpen(wave))
            return OfferDecision.WaveNotOpen;
        if (progress.IsHalted)
            return OfferDecision.Halted;
        if (plan.Window is { } window && !window.IsOpen(now))
            return OfferDecision.OutsideMaintenanceWindow;
        return OfferDecision.Offer;
    }

    /// <summary>Whether the device's declarations should name the rollout's version.</summary>
    public static bool DeclaresTarget(this OfferDecision decision) => decision is OfferDecision.Offer or OfferDecision.AlreadyInstalled;
}
