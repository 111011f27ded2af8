using EdgeMdm.Domain.Spares;
using System.CommandLine;
using System.Globalization;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Spares;

/// <summary><c>edgemdm-edge spares list|pool set|add|remove</c> and <c>edgemdm-edge swap start|confirm|cancel|list</c>.</summary>
public static class SparesCli
{
    public static Command Spares(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var list = commands.Create("list", "the spare pools: minimum, spares by state, each member", [], cli =>
        {
            var pools = cli.Get<ISpareAdmin>().List();
            return cli.Print(pools, () => PrintPools(pools));
        });

        var model = new Argument<string>("model") { Description = "device model, as devices report it (e.g. TC52)" };
        var min = new Option<int>("--min") { Description = "Ready spares the site wants on hand", Required = true };
        var set = commands.Create("set", "create a model's pool or change its minimum", [model, min], async cli =>
        {
            var minimum = cli.Result.GetValue(min);
            if (minimum < 0)
                throw new CliException("--min must be 0 or more", 2);
            var pool = OperatorCommands.Require(await cli.Get<ISpareAdmin>().SetPoolAsync(cli.Result.GetValue(model)!, minimum, OperatorCommands.Actor, DateTimeOffset.UtcNow));
            return cli.Print(pool, () => Console.WriteLine($"{pool.Model} pool: minimum {pool.Minimum}, {pool.Ready} Ready{(pool.BelowMinimum ? " (below minimum: alert open)" : "")}"));
        });

        var device = new Argument<string>("device") { Description = "device id or serial" };
        var poolOption = new Option<string>("--pool") { Description = "the pool meant (a model); refused when the device is another model" };
        var add = commands.Create("add", "make a device a spare of its model's pool", [device, poolOption], async cli =>
        {
            var member = OperatorCommands.Require(await cli.Get<ISpareAdmin>().AddAsync(
                cli.Result.GetValue(device)!, cli.Result.GetValue(poolOption), OperatorCommands.Actor, DateTimeOffset.UtcNow));
            return cli.Print(member, () => Console.WriteLine($"{member.Serial} is a spare of the {member.Model} pool, {member.State}"));
        });
        var removeDevice = new Argument<string>("device") { Description = "device id or serial" };
        var remove = commands.Create("remove", "take a device out of its pool", [removeDevice], async cli =>
        {
            var member = OperatorCommands.Require(await cli.Get<ISpareAdmin>().RemoveAsync(cli.Result.GetValue(removeDevice)!, OperatorCommands.Actor, DateTimeOffset.UtcNow));
            return cli.Print(member, () => Console.WriteLine($"{member.Serial} is no longer a spare"));
        });
        return new Command("spares", "hot-spare pools per device model") { list, new Command("pool", "pools per model") { set }, add, remove };
    }

    private static void PrintPools(IReadOnlyList<SparePool> pools)
    {
        Table.Write(
            ["POOL", "MIN", "READY", "CHARGING", "STAGING", "ASSIGNED", "IN REPAIR", "RETIRED", ""],
            pools.Select(p => new[]
            {
                p.Model, N(p.Minimum), N(p.Ready), N(p.ByState[SpareState.Charging]), N(p.ByState[SpareState.Staging]), N(p.ByState[SpareState.Assigned]),
                N(p.ByState[SpareState.InRepair]), N(p.ByState[SpareState.Retired]), p.BelowMinimum ? "BELOW MINIMUM" : "",
            }));
        var members = pools.SelectMany(p => p.Members).ToList();
        if (members.Count == 0)
            return;
        Console.WriteLine();
        Table.Write(
            ["SERIAL", "POOL", "STATE", "CHARGE", "SLOT", "GROUP", "ASSIGNED TO"],
            members.Select(m => new[]
            {
                m.Serial, m.Model, m.State.ToString(), m.ChargePercent is { } c ? $"{N(c)} % ({m.ChargeSource})" : "unknown", m.Slot ?? "-", m.Group, m.Assignment ?? "-",
            }));
    }

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
}
