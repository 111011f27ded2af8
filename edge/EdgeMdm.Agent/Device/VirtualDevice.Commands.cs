using System.Globalization;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Agent;

// Commands: carried out once per id, whatever the appliance re-delivers.
public sealed partial class VirtualDevice
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    // Enough to cover every command the appliance could still re-deliver; the oldest are forgotten first.
    private const int RememberedCommands = 4096;

    private readonly Dictionary<string, CommandRecord> _commands = new(StringComparer.Ordinal);
    private readonly Queue<string> _commandOrder = new();

    /// <summary>Chance that lock/ring/reboot/clear-app-data fails (default 3 %). Internal so tests can pin it.</summary>
    internal double CommandFailureRate { get; set; } = 0.03;

    /// <summary>
    /// Carries out a command and returns the result to report. A command id already carried out is not
    /// carried out again: its first result is returned while it has not been reported
    /// (<see cref="MarkResultReported"/>), and null afterwards, meaning "nothing to send".
    /// </summary>
    public CommandResultRequest? Execute(DeviceCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentException.ThrowIfNullOrEmpty(command.Id, nameof(command));
        if (_commands.TryGetValue(command.Id, out var earlier))
            return earlier.Reported ? null : earlier.Result;

        var now = Advance();
        var (succeeded, message) = CarryOut(command, now);
        var result = new CommandResultRequest { Status = succeeded ? Succeeded : Failed, Message = message, Timestamp = now };
        Remember(command.Id, result);
        return result;
    }

    /// <summary>The appliance accepted the result of <paramref name="commandId"/>: it is never sent again.</summary>
    public void MarkResultReported(string commandId)
    {
        ArgumentNullException.ThrowIfNull(commandId);
        if (_commands.TryGetValue(commandId, out var record))
            record.Reported = true;
    }

    /// <summary>Results carried out but not yet accepted by the appliance.</summary>
    public int UnreportedResults => _commands.Values.Count(c => !c.Reported);

    private (bool Succeeded, string Message) CarryOut(DeviceCommand command, DateTimeOffset now)
    {
        if (command.ExpiresAt is { } expiresAt && expiresAt <= now)
            return (false, "command expired at " + expiresAt.ToString("u", CultureInfo.InvariantCulture) + " before the device received it");
        return command.Type switch
        {
            "lock" => Unless("lock failed: the device policy manager is busy, try again", "screen locked"),
            "ring" => Unless("ring failed: audio output is held by a call in progress", "rang for 30 s at full volume"),
            "reboot" => Reboot(),
            "refresh-status" => RefreshStatus(),
            "clear-app-data" => ClearAppData(command),
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

    private void Remember(string commandId, CommandResultRequest result)
    {
        _commands[commandId] = new CommandRecord(result);
        _commandOrder.Enqueue(commandId);
        while (_commandOrder.Count > RememberedCommands)
            _commands.Remove(_commandOrder.Dequeue());
    }

    private sealed class CommandRecord(CommandResultRequest result)
    {
        public CommandResultRequest Result { get; } = result;
        public bool Reported { get; set; }
    }
}
