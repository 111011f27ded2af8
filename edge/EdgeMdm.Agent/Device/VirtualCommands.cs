using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Agent;

/// <summary>
/// What a device remembers of the commands it carried out: each id is carried out once, whatever the appliance
/// re-delivers (its answer may have been lost on the Wi-Fi), and its result is sent until the appliance accepts it.
/// </summary>
public sealed class VirtualCommands
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    // Enough to cover every command the appliance could still re-deliver; the oldest are forgotten first.
    private const int RememberedCommands = 4096;

    private readonly Dictionary<string, CommandRecord> _commands = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly Func<DeviceCommand, CommandResultRequest> _carryOut;

    /// <param name="carryOut">What the device does for a command it has not seen before, and the result to report.</param>
    internal VirtualCommands(Func<DeviceCommand, CommandResultRequest> carryOut) => _carryOut = carryOut;

    /// <summary>Results carried out but not yet accepted by the appliance.</summary>
    public int UnreportedResults => _commands.Values.Count(c => !c.Reported);

    /// <summary>
    /// Carries out a command and returns the result to report. A command id already carried out is not carried out
    /// again: its first result is returned while it has not been reported (<see cref="MarkResultReported"/>), and null
    /// afterwards, meaning "nothing to send".
    /// </summary>
    public CommandResultRequest? Execute(DeviceCommand command) => Once(command, _carryOut);

    /// <summary>
    /// Like <see cref="Execute"/>, but the command is not carried out: its result is <paramref name="refusal"/>, a failure
    /// (a command whose signature the device refused). Remembered by id like any other.
    /// </summary>
    public CommandResultRequest? Refuse(DeviceCommand command, string refusal, DateTimeOffset at) =>
        Once(command, _ => new CommandResultRequest { Status = Failed, Message = refusal, Timestamp = at });

    private CommandResultRequest? Once(DeviceCommand command, Func<DeviceCommand, CommandResultRequest> outcome)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentException.ThrowIfNullOrEmpty(command.Id, nameof(command));
        if (_commands.TryGetValue(command.Id, out var earlier))
            return earlier.Reported ? null : earlier.Result;

        var result = outcome(command);
        _commands[command.Id] = new CommandRecord(result);
        _order.Enqueue(command.Id);
        while (_order.Count > RememberedCommands)
            _commands.Remove(_order.Dequeue());
        return result;
    }

    /// <summary>The appliance accepted the result of <paramref name="commandId"/>: it is never sent again.</summary>
    public void MarkResultReported(string commandId)
    {
        ArgumentNullException.ThrowIfNull(commandId);
        if (_commands.TryGetValue(commandId, out var record))
            record.Reported = true;
    }

    private sealed class CommandRecord(CommandResultRequest result)
    {
        public CommandResultRequest Result { get; } = result;

        public bool Reported { get; set; }
    }
}
