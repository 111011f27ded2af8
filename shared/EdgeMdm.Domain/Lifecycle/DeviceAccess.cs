using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Domain.Lifecycle;

/// <summary>
/// What a device is given in each state besides checking in (<see cref="DeviceLifecycle.MayCheckIn"/>):
/// <list type="table">
///   <item><term>Enrolling, Staging, Active, InRepair</term><description>its declarations, the packages they name,
///   every command.</description></item>
///   <item><term>Quarantined</term><description>status only: its check-ins are accepted and stored (so the floor still
///   sees it), but it is declared nothing (the empty declarations of its group, so no new app, configuration or
///   certificate reaches it), downloads no package, and takes only the commands that secure or find a device
///   (<see cref="QuarantineCommands"/>). Other commands already queued stay queued until it leaves quarantine; new
///   ones are refused.</description></item>
///   <item><term>Retired</term><description>nothing: it may not check in.</description></item>
/// </list>
/// </summary>
public static class DeviceAccess
{
    /// <summary>The command types a quarantined device still takes: lock it, wipe it, make it ring to find it.</summary>
    public static IReadOnlyList<string> QuarantineCommands { get; } = [DeviceCommandTypes.Lock, DeviceCommandTypes.Wipe, DeviceCommandTypes.Ring];

    /// <summary>Whether the device is declared its group's blueprint; otherwise it is declared nothing.</summary>
    public static bool IsDeclared(DeviceState state) => state is not (DeviceState.Quarantined or DeviceState.Retired);

    /// <summary>Whether the device may download the packages its declarations name.</summary>
    public static bool MayDownloadPackages(DeviceState state) => IsDeclared(state);

    /// <summary>Whether a command of <paramref name="type"/> may be queued for, and delivered to, a device in <paramref name="state"/>.</summary>
    public static bool TakesCommand(DeviceState state, string type) => state switch
    {
        DeviceState.Retired => false,
        DeviceState.Quarantined => QuarantineCommands.Contains(type, StringComparer.Ordinal),
        _ => true,
    };
}
