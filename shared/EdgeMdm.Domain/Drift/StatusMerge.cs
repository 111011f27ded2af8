using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Domain.Drift;

public static class StatusMerge
{
    /// <summary>
    /// Folds a check-in's changed items into the last known status: an item present in
    /// <paramref name="changes"/> replaces the stored one whole; an absent item keeps its stored value.
    /// </summary>
    public static DeviceStatus Apply(DeviceStatus current, DeviceStatus changes)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(changes);
        return new DeviceStatus
        {
            Apps = changes.Apps ?? current.Apps,
            Os = changes.Os ?? current.Os,
            Battery = changes.Battery ?? current.Battery,
            Storage = changes.Storage ?? current.Storage,
            Wifi = changes.Wifi ?? current.Wifi,
            Configurations = changes.Configurations ?? current.Configurations,
            Certificates = changes.Certificates ?? current.Certificates,
            Staging = changes.Staging ?? current.Staging,
            InstallFailures = changes.InstallFailures ?? current.InstallFailures,
            DeclarationsVerification = changes.DeclarationsVerification ?? current.DeclarationsVerification,
        };
    }

    /// <summary>Staging is complete when every step the device was given is done.</summary>
    public static bool StagingComplete(StagingProgress? staging) =>
        staging is { CompletedSteps: { } done, TotalSteps: { } total } && done >= total;
}
