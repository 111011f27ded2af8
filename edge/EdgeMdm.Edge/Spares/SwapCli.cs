using System.CommandLine;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Spares;

/// <summary>
/// <c>edgemdm-edge swap start|confirm|cancel|list</c>. Start, confirm and cancel go to the appliance serving the data
/// directory when one does (it lights and clears the cradle LEDs); otherwise they work on the data directory, and say
/// that no LED was lit.
/// </summary>
public static class SwapCli
{
    private const string NoLed = "no appliance is serving this data directory: done on the data directory, no cradle LED lit or cleared";

    public static Command Swap(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var device = new Argument<string>("device") { Description = "the broken device: id or serial" };
        var reason = new Option<string>("--reason") { Description = "what is wrong with it (kept in its history and repair record)", Required = true };
        var wipe = new Option<bool>("--wipe") { Description = "queue a wipe of the broken device" };
        var start = commands.Create("start", "report a device broken: propose the best Ready spare and light its cradle slot", [device, reason, wipe], async cli =>
        {
            var why = cli.Result.GetValue(reason)!;
            if (string.IsNullOrWhiteSpace(why))
                throw new CliException("--reason must say something", 2);
            var id = cli.Result.GetValue(device)!;
            var swap = await LiveSwaps.PostAsync(cli.DataDirectory, "/api/v1/swaps", new SwapStartRequest(id, why, cli.Result.GetValue(wipe)), SparesJson.Default.SwapStartRequest)
                ?? Direct(OperatorCommands.Require(await cli.Get<ISwaps>().StartAsync(id, why, cli.Result.GetValue(wipe), OperatorCommands.Actor, DateTimeOffset.UtcNow)));
            return cli.Print(swap, () => Console.WriteLine(
                $"swap {swap.SwapId}: take spare {swap.ProposedSerial}{(swap.Slot is { } slot ? $" from {slot}{(swap.Lit ? " (lit)" : "")}" : "")} for {swap.DeviceSerial}; " +
                $"confirm with '{OperatorCommands.Program} swap confirm {swap.SwapId} --spare SERIAL' before {CliText.Time(swap.ExpiresAt)}"));
        });

        var swapId = new Argument<string>("swap") { Description = "the swap's id" };
        var spare = new Option<string>("--spare") { Description = "serial scanned off the spare taken", Required = true };
        var confirm = commands.Create("confirm", "confirm a swap with the spare taken: all of it or nothing", [swapId, spare], async cli =>
        {
            var id = cli.Result.GetValue(swapId)!;
            var serial = cli.Result.GetValue(spare)!;
            var swap = await LiveSwaps.PostAsync(cli.DataDirectory, $"/api/v1/swaps/{Uri.EscapeDataString(id)}/confirm", new SwapConfirmRequest(serial), SparesJson.Default.SwapConfirmRequest)
                ?? Direct(OperatorCommands.Require(await cli.Get<ISwaps>().ConfirmAsync(id, serial, OperatorCommands.Actor, DateTimeOffset.UtcNow)));
            return cli.Print(swap, () => Console.WriteLine(
                $"swap {swap.SwapId} confirmed: {swap.SpareSerial} replaces {swap.DeviceSerial}, which is quarantined{(swap.Wipe ? " with a wipe queued" : "")} and on its way to repair"));
        });

        var cancelId = new Argument<string>("swap") { Description = "the swap's id" };
        var cancel = commands.Create("cancel", "cancel a proposed swap", [cancelId], async cli =>
        {
            var id = cli.Result.GetValue(cancelId)!;
            var swap = await LiveSwaps.PostAsync(cli.DataDirectory, $"/api/v1/swaps/{Uri.EscapeDataString(id)}/cancel", new SwapConfirmRequest(null), SparesJson.Default.SwapConfirmRequest)
                ?? Direct(OperatorCommands.Require(await cli.Get<ISwaps>().CancelAsync(id, OperatorCommands.Actor, DateTimeOffset.UtcNow)));
            return cli.Print(swap, () => Console.WriteLine($"swap {swap.SwapId} cancelled"));
        });

        var list = commands.Create("list", "swaps, newest first", [], cli =>
        {
            var swaps = cli.Get<ISwaps>().List();
            return cli.Print(swaps, () => Table.Write(
                ["SWAP", "STATE", "DEVICE", "SPARE", "REASON", "WIPE", "STARTED", "BY", "CLOSED"],
                swaps.Select(s => new[]
                {
                    s.SwapId, s.State.ToString(), s.DeviceSerial, s.SpareSerial ?? s.ProposedSerial + " (proposed)", s.Reason, s.Wipe ? "yes" : "no",
                    CliText.Time(s.CreatedAt), s.CreatedBy, s.ClosedAt is { } at ? $"{CliText.Time(at)} by {s.ClosedBy}" : "-",
                })));
        });
        return new Command("swap", "swap a broken device for a Ready spare") { start, confirm, cancel, list };
    }

    private static SwapView Direct(SwapView swap)
    {
        Console.Error.WriteLine(NoLed);
        return swap;
    }
}
