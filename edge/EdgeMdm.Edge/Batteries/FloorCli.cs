using System.CommandLine;
using System.Globalization;
using EdgeMdm.Domain.Floor;
using EdgeMdm.Domain.Text;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Batteries;

/// <summary><c>edgemdm-edge readiness</c>, <c>missing</c> and <c>batteries</c>: the floor before and after shifts, and its batteries.</summary>
public static class FloorCli
{
    private const string NoShifts = "no shifts are configured (Edge:Shifts:Shifts, README 'Shifts, readiness and missing devices')";

    public static Command Readiness(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return commands.Create("readiness", "the next shift's readiness: devices charged and compliant, spares against pool minimums, predicted shortfall", [], cli =>
        {
            var reports = cli.Get<FloorReports>();
            var figure = reports.NextReadiness() ?? throw new CliException(NoShifts);
            return cli.Print(figure, () => PrintReadiness(figure, reports.Calendar));
        });
    }

    public static Command Missing(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return commands.Create("missing", "devices not docked after the last shift that ended: last seen, place (cradle or access point), group", [], cli =>
        {
            var reports = cli.Get<FloorReports>();
            var view = reports.LastMissing() ?? throw new CliException(NoShifts);
            return cli.Print(view, () => PrintMissing(view, reports.Calendar));
        });
    }

    public static Command Batteries(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var replace = new Option<bool>("--replace") { Description = "only batteries under the health floor (Edge:Batteries:HealthFloorPercent)" };
        return commands.Create("batteries", "every battery: health, cycles, trend, time to full, predicted runtime for the next shift, replacement flag", [replace], cli =>
        {
            var report = cli.Get<FloorReports>().Batteries(cli.Result.GetValue(replace));
            return cli.Print(report, () => Table.Write(
                ["BATTERY", "DEVICE", "LEVEL", "HEALTH", "CYCLES", "TREND", "TO FULL", "RUNTIME", "REPLACE"],
                report.Batteries.Select(b => new[]
                {
                    b.Battery, b.DeviceSerial ?? b.DeviceId, Percent(b.Level) + (b.Charging ? " +" : ""), Percent(b.HealthPercent), b.CycleCount?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    b.Trend + (b.HealthPer30Days is { } slope ? " " + slope.ToString("+0.0;-0.0;0", CultureInfo.InvariantCulture) + "/30d" : ""),
                    b.TimeToFullMinutes is { } m ? DurationText.Format(TimeSpan.FromMinutes(m)) : "-",
                    (b.PredictedRuntimeHours is { } h ? DurationText.Format(TimeSpan.FromHours(Math.Round(h, 1))) : "-") + (b.FallsShort == true ? " SHORT" : ""),
                    b.Flagged ? "yes" : "",
                })));
        });
    }

    private static void PrintReadiness(ReadinessFigure figure, ShiftCalendar calendar)
    {
        var shift = figure.Shift;
        Console.WriteLine($"shift      {shift.Name}  {Local(calendar, shift.Start)}-{calendar.Local(shift.End).ToString("HH:mm", CultureInfo.InvariantCulture)}, starts in {DurationText.Format(Round(shift.Start - figure.ComputedAt))}");
        Console.WriteLine($"devices    {figure.ChargedAndCompliant} of {figure.ActiveDevices} charged >= {figure.ReadyChargePercent} % and compliant ({figure.ReadyPercent.ToString("0.0", CultureInfo.InvariantCulture)} %)");
        Console.WriteLine("spares     " + (figure.Spares.Count == 0 ? "no pools" : string.Join(", ", figure.Spares.Select(p => $"{p.Model} {p.Ready}/{p.Minimum} ready/minimum" + (p.BelowMinimum ? " BELOW" : "")))));
        Console.WriteLine($"shortfall  {figure.Shortfall.Count} device(s) predicted to run out before the shift ends");
        if (figure.Shortfall.Count > 0)
        {
            Table.Write(["SERIAL", "GROUP", "START CHARGE", "RUNTIME"], figure.Shortfall.Select(d => new[]
            {
                d.Serial, d.Group, d.StartChargePercent.ToString("0", CultureInfo.InvariantCulture) + " %", DurationText.Format(Round(d.Runtime)),
            }));
        }
    }

    private static void PrintMissing(MissingView view, ShiftCalendar calendar)
    {
        var report = view.Report;
        Console.WriteLine($"shift      {report.Shift.Name}  {Local(calendar, report.Shift.Start)}-{calendar.Local(report.Shift.End).ToString("HH:mm", CultureInfo.InvariantCulture)}, checked {Local(calendar, report.ComputedAt)}"
            + (view.Recorded ? "" : $" (computed now; the report is due {Local(calendar, report.DueAt)})"));
        Console.WriteLine($"missing    {report.Missing.Count} of {report.ActiveDevices} active devices not docked");
        if (report.Missing.Count > 0)
        {
            Table.Write(["DEVICE", "SERIAL", "GROUP", "LAST SEEN", "PLACE"], report.Missing.Select(m => new[]
            {
                m.DeviceId, m.Serial, m.Group, m.LastSeen is { } seen ? Local(calendar, seen) : "never", m.Place,
            }));
        }
    }

    private static string Local(ShiftCalendar calendar, DateTimeOffset at) => calendar.Local(at).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Percent(int? value) => value is { } v ? v.ToString(CultureInfo.InvariantCulture) + " %" : "-";

    private static TimeSpan Round(TimeSpan span) => TimeSpan.FromMinutes(Math.Max(0, Math.Round(span.TotalMinutes)));
}
