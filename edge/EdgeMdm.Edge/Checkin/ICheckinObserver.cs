using EdgeMdm.Contracts.Device;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Checkin;

/// <summary>
/// A feature that learns from what devices report (the floor's physical side: a battery's charge and health, the
/// cradle slot a device sits in). Declared here, answered by those features; called on the writer's thread in the
/// check-in's own unit, after the check-in was accepted, so an observation commits or rolls back with it.
/// It must be cheap: it runs for every check-in that reports something.
/// </summary>
public interface ICheckinObserver
{
    /// <param name="unit">The check-in's unit.</param>
    /// <param name="device">The device as it was before this check-in.</param>
    /// <param name="previous">The device's whole status before this check-in (already parsed: reading it costs nothing).</param>
    /// <param name="changes">What this check-in reported (never null: a check-in reporting nothing is not observed).</param>
    /// <param name="status">The device's whole status after the merge.</param>
    /// <param name="now">When the check-in arrived.</param>
    void Observe(UnitOfWork unit, DeviceRecord device, DeviceStatus previous, DeviceStatus changes, DeviceStatus status, DateTimeOffset now);
}
