using System.Globalization;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Agent;

// Commands: what carrying one out does to the device (VirtualCommands remembers which were carried out).
public sealed partial class VirtualDevice
{
    /// <summary>Chance that lock/ring/reboot/clear-app-data fails (default 3 %). Internal so tests can pin it.</summary>
    internal double CommandFailureRate { get; set; } = 0.03;

    /// <summary>The commands this device carried out, each once, and whether the appliance has their results.</summary>
    public VirtualCommands Commands { get; }

    /// <summary>Reports <paramref name="command"/> failed with <paramref name="refusal"/> without carrying it out (once per id).</summary>
    internal CommandResultRequest? RefuseCommand(DeviceCommand command, string refusal) => Commands.Refuse(command, refusal, Advance());

    private CommandResultRequest CarryOut(DeviceCommand command)
    {
        var now = Advance();
        var (succeeded, message) = CarryOut(command, now);
        return new CommandResultRequest { Status = succeeded ? VirtualCommands.Succeeded : VirtualCommands.Failed, Message = message, Timestamp = now };
    }

    private (bool Succeeded, string Message) CarryOut(DeviceCommand command, DateTimeOffset now)
    {
        if (command.ExpiresAt is { } expiresAt && expiresAt <= now)
            return (false, "command expired at " + expiresAt.ToString("u", CultureInfo.InvariantCulture) + " before the device received it");
        return command.Type switch
        {
            DeviceCommandTypes.Lock => Unless("lock failed: the device policy manager is busy, try again", "screen locked"),
            DeviceCommandTypes.Ring => Unless("ring failed: audio output is held by a call in progress", "rang for 30 s at full volume"),
            DeviceCommandTypes.Reboot => Reboot(),
            DeviceCommandTypes.RefreshStatus => RefreshStatus(),
            DeviceCommandTypes.ClearAppData => ClearAppData(command),
            DeviceCommandTypes.Wipe => (true, "wipe acknowledged (a simulated device keeps its data and its enrollment)"),
            DeviceCommandTypes.RetryStagingStep => RetryStagingStep(command),
            _ => (false, "unsupported command type " + command.Type),
        };
    }

    private (bool, string) Unless(string failure, string success) =>
        _behaviour.NextDouble() < CommandFailureRate ? (false, failure) : (true, success);

    private (bool, string) Reboot()
    {
        var level = (int)Math.Floor(_batteryLevel);
        if (!_docked && level < 15)
            return (false, string.Create(CultureInfo.InvariantCulture, $"reboot refused: battery at {level} % and not docked"));
        return Unless("reboot failed: an app held a wake lock past the shutdown timeout", "rebooted");
    }

    private (bool, string) RefreshStatus()
    {
        RequestFullStatus();
        return (true, "full status follows with the next check-in");
    }

    private (bool, string) ClearAppData(DeviceCommand command)
    {
        if (command.Parameters is null || !command.Parameters.TryGetValue("packageName", out var packageName) || string.IsNullOrWhiteSpace(packageName))
            return (false, "clear-app-data needs the parameter packageName");
        if (!_apps.ContainsKey(packageName))
            return (false, packageName + " is not installed");
        if (_behaviour.NextDouble() < CommandFailureRate)
            return (false, "clear-app-data failed: the package manager is busy, try again");

        var freed = _behaviour.Next(5, 200) * MiB;
        _freeBytes = Math.Min(_profile.TotalBytes, _freeBytes + freed);
        return (true, string.Create(CultureInfo.InvariantCulture, $"cleared data of {packageName} ({freed / MiB} MB freed)"));
    }
}
