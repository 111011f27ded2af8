using System.CommandLine;
using System.Globalization;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Cradles;

/// <summary>
/// <c>edgemdm-edge cradles</c>: every cradle and slot as the floor model merges them. Everything it shows is in the data
/// directory (observations and lit LEDs are stored), so it answers the same whether or not the appliance serves now.
/// </summary>
public static class CradlesCli
{
    public static Command Cradles(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return commands.Create("cradles", "cradles and their slots: what each holds, its charge, its LED, which source said so and how long ago", [], cli =>
        {
            var cradles = cli.Get<ICradleFloor>().Cradles();
            var now = cli.Get<TimeProvider>().GetUtcNow();
            return cli.Print(cradles, () => Table.Write(
                ["CRADLE", "SLOT", "SOURCE", "CONTENT", "SERIAL", "DEVICE", "CHARGE", "CHARGING", "FAULT", "LED", "OBSERVED"],
                cradles.SelectMany(c => c.Slots).Select(s => Row(s, now))));
        });
    }

    private static string[] Row(SlotView slot, DateTimeOffset now) =>
    [
        slot.CradleId,
        CliText.Number(slot.Slot),
        slot.Source.ToString().ToLowerInvariant(),
        slot.Content.ToString().ToLowerInvariant(),
        slot.Serial ?? "-",
        slot.DeviceId ?? "-",
        slot.ChargePercent is { } charge ? charge.ToString(CultureInfo.InvariantCulture) + "%" : "-",
        slot.Charging switch { true => "yes", false => "no", null => "-" },
        slot.Fault ?? "-",
        slot.LedOn ? "on" : "off",
        slot.ObservedAt is { } at ? Age(now - at) + " ago" : "never",
    ];

    internal static string Age(TimeSpan age) => age switch
    {
        { TotalSeconds: < 1 } => "0s",
        { TotalMinutes: < 1 } => ((int)age.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s",
        { TotalHours: < 1 } => ((int)age.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m",
        { TotalDays: < 1 } => ((int)age.TotalHours).ToString(CultureInfo.InvariantCulture) + "h",
        _ => ((int)age.TotalDays).ToString(CultureInfo.InvariantCulture) + "d",
    };
}
