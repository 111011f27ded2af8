using System.Globalization;
using EdgeMdm.Domain.Floor;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Batteries;

/// <summary>Battery settings, section <c>Edge:Batteries</c>.</summary>
public sealed class BatteryOptions
{
    public const string Section = "Edge:Batteries";

    /// <summary>A battery whose health is under this (percent of design capacity) is flagged for replacement.</summary>
    public int HealthFloorPercent { get; set; } = 80;

    /// <summary>How long battery samples are kept (1–365 days); older ones are pruned hourly.</summary>
    public int SampleRetentionDays { get; set; } = 14;

    /// <summary>
    /// Least time between two stored samples of one battery (0–3600 s) while it stays on or off the charger; a change
    /// of charging or docked is always stored. Keeps a fleet checking in every 30 s from filling the disk with samples
    /// that say nothing new.
    /// </summary>
    public int MinSampleIntervalSeconds { get; set; } = 120;
}

/// <summary>One configured shift: a name and local <c>HH:mm</c> start and end (an end at or before the start is the next day).</summary>
public sealed class ShiftSetting
{
    public string Name { get; set; } = "";

    public string Start { get; set; } = "";

    public string End { get; set; } = "";
}

/// <summary>Shift settings, section <c>Edge:Shifts</c>.</summary>
public sealed class ShiftOptions
{
    public const string Section = "Edge:Shifts";

    /// <summary>The site's shifts; none: no readiness figures and no missing-device reports are recorded.</summary>
    public IList<ShiftSetting> Shifts { get; } = [];

    /// <summary>The site's time zone, an IANA id (<c>Europe/Berlin</c>); null: the machine's.</summary>
    public string? TimeZone { get; set; }

    /// <summary>The charge (percent) a device needs, with zero drift, to count as ready for a shift.</summary>
    public int ReadyChargePercent { get; set; } = 90;

    /// <summary>Minutes after a shift's end when devices not docked are reported missing (0–720).</summary>
    public int MissingAfterMinutes { get; set; } = 30;

    /// <summary>Minutes before a shift's start when its readiness figure is recorded (0–720).</summary>
    public int ReadinessBeforeMinutes { get; set; } = 30;

    internal static bool TryParseTime(string? text, out TimeOnly time) =>
        TimeOnly.TryParseExact(text, ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out time);

    /// <summary>The shifts as the domain takes them; call on validated options only.</summary>
    internal IReadOnlyList<ShiftDefinition> Definitions() => [.. Shifts.Select(s => new ShiftDefinition(s.Name, ParseTime(s.Start), ParseTime(s.End)))];

    internal static TimeOnly ParseTime(string text) => TimeOnly.ParseExact(text, ["HH:mm", "H:mm"], CultureInfo.InvariantCulture);

    /// <summary>The configured zone, or the machine's; throws for an unknown id (the validator refuses it first).</summary>
    internal TimeZoneInfo Zone() => string.IsNullOrWhiteSpace(TimeZone) ? TimeZoneInfo.Local : TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}

/// <summary>Start-time checks of <see cref="BatteryOptions"/>.</summary>
internal sealed class BatteryOptionsValidator : IValidateOptions<BatteryOptions>
{
    public ValidateOptionsResult Validate(string? name, BatteryOptions options)
    {
        var failures = new List<string>();
        if (options.HealthFloorPercent is < 1 or > 100)
            failures.Add($"{BatteryOptions.Section}:HealthFloorPercent must be between 1 and 100, not {Text(options.HealthFloorPercent)}");
        if (options.SampleRetentionDays is < 1 or > 365)
            failures.Add($"{BatteryOptions.Section}:SampleRetentionDays must be between 1 and 365, not {Text(options.SampleRetentionDays)}");
        if (options.MinSampleIntervalSeconds is < 0 or > 3600)
            failures.Add($"{BatteryOptions.Section}:MinSampleIntervalSeconds must be between 0 and 3600, not {Text(options.MinSampleIntervalSeconds)}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Start-time checks of <see cref="ShiftOptions"/>: times, names, overlaps, the zone.</summary>
internal sealed class ShiftOptionsValidator : IValidateOptions<ShiftOptions>
{
    private const string S = ShiftOptions.Section;

    public ValidateOptionsResult Validate(string? name, ShiftOptions options)
    {
        var failures = new List<string>();
        var parsed = true;
        for (var i = 0; i < options.Shifts.Count; i++)
        {
            var shift = options.Shifts[i];
            var at = $"{S}:Shifts:{BatteryOptionsValidator.Text(i)}";
            if (string.IsNullOrWhiteSpace(shift.Name))
                failures.Add($"{at}:Name is required");
            foreach (var (key, value) in new[] { ("Start", shift.Start), ("End", shift.End) })
            {
                if (!ShiftOptions.TryParseTime(value, out _))
                {
                    failures.Add($"{at}:{key} ('{shift.Name}') must be a time of day as HH:mm, not '{value}'");
                    parsed = false;
                }
            }
        }

        if (parsed)
            failures.AddRange(ShiftSchedule.Problems(options.Definitions()).Select(p => $"{S}:Shifts: {p}"));
        if (!string.IsNullOrWhiteSpace(options.TimeZone))
        {
            try
            {
                _ = options.Zone();
            }
            catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                failures.Add($"{S}:TimeZone names '{options.TimeZone}', which is not a known time zone (an IANA id such as Europe/Berlin)");
            }
        }

        if (options.ReadyChargePercent is < 1 or > 100)
            failures.Add($"{S}:ReadyChargePercent must be between 1 and 100, not {BatteryOptionsValidator.Text(options.ReadyChargePercent)}");
        if (options.MissingAfterMinutes is < 0 or > 720)
            failures.Add($"{S}:MissingAfterMinutes must be between 0 and 720, not {BatteryOptionsValidator.Text(options.MissingAfterMinutes)}");
        if (options.ReadinessBeforeMinutes is < 0 or > 720)
            failures.Add($"{S}:ReadinessBeforeMinutes must be between 0 and 720, not {BatteryOptionsValidator.Text(options.ReadinessBeforeMinutes)}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
