namespace EdgeMdm.Contracts.Device;

/// <summary>
/// The command types the device agent carries out (device protocol v1): the one list the hub checks a command against
/// before queuing it, and the agent's own switch uses. A type not here would reach the device only to fail as
/// "unsupported"; the hub refuses it instead (422). Add a type here when the agent learns it.
/// </summary>
public static class DeviceCommandTypes
{
    /// <summary>Locks the screen.</summary>
    public const string Lock = "lock";

    /// <summary>Rings at full volume, to find the device.</summary>
    public const string Ring = "ring";

    public const string Reboot = "reboot";

    /// <summary>Sends the whole status with the next check-in.</summary>
    public const string RefreshStatus = "refresh-status";

    /// <summary>Clears one app's data; parameter <c>packageName</c>.</summary>
    public const string ClearAppData = "clear-app-data";

    /// <summary>Erases the device (a swap may queue it for the device it replaces).</summary>
    public const string Wipe = "wipe";

    /// <summary>Runs a failed staging step again; parameter <c>step</c> (the step id; all failed steps without it).</summary>
    public const string RetryStagingStep = "staging.retryStep";

    /// <summary>Every known type, ordered by name.</summary>
    public static IReadOnlyList<string> All { get; } =
        new[] { Lock, Ring, Reboot, RefreshStatus, ClearAppData, Wipe, RetryStagingStep }.Order(StringComparer.Ordinal).ToArray();

    public static bool IsKnown(string? type) => type is not null && All.Contains(type, StringComparer.Ordinal);
}
