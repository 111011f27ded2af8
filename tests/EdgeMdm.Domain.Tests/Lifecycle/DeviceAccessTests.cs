using EdgeMdm.Domain.Lifecycle;
using static EdgeMdm.Domain.Lifecycle.DeviceState;

namespace EdgeMdm.Domain.Tests.Lifecycle;

public sealed class DeviceAccessTests
{
    [Theory]
    [InlineData(Enrolling, true)]
    [InlineData(DeviceState.Staging, true)]
    [InlineData(Active, true)]
    [InlineData(Quarantined, false)]
    [InlineData(InRepair, true)]
    [InlineData(Retired, false)]
    public void Quarantined_and_retired_devices_are_declared_nothing_and_download_nothing(DeviceState state, bool given)
    {
        Assert.Equal(given, DeviceAccess.IsDeclared(state));
        Assert.Equal(given, DeviceAccess.MayDownloadPackages(state));
    }

    [Theory]
    [InlineData(Active, "reboot", true)]
    [InlineData(InRepair, "clear-app-data", true)]
    [InlineData(Quarantined, "lock", true)]
    [InlineData(Quarantined, "wipe", true)]
    [InlineData(Quarantined, "ring", true)]
    [InlineData(Quarantined, "reboot", false)]
    [InlineData(Quarantined, "refresh-status", false)]
    [InlineData(Quarantined, "Lock", false)]
    [InlineData(Retired, "wipe", false)]
    public void A_quarantined_device_takes_only_lock_wipe_and_ring(DeviceState state, string type, bool takes)
    {
        Assert.Equal(takes, DeviceAccess.TakesCommand(state, type));
    }
}
