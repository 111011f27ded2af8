namespace EdgeMdm.Domain.Floor;

/// <summary>
/// What a battery will give in the next shift: the charge it will start with, how long that lasts at its measured drain,
/// and whether that is shorter than the shift (<see cref="FallsShort"/>). Unknown parts are null (no drain history yet).
/// </summary>
public sealed record RuntimeForecast(double StartChargePercent, TimeSpan? Runtime, bool FallsShort);

public static class ShiftRuntime
{
    /// <summary>
    /// The charge at the shift's start: the level now, or, while charging, full when it will be full by then (time to
    /// full known and no later than the start), else the level plus the measured charge rate until then. Runtime is that
    /// charge over the drain rate; short when it ends before the shift does.
    /// </summary>
    public static RuntimeForecast Predict(
        int level, bool charging, TimeSpan? timeToFull, double? chargePerHour, double? drainPerHour, TimeSpan untilShiftStart, TimeSpan shiftLength)
    {
        var until = untilShiftStart < TimeSpan.Zero ? TimeSpan.Zero : untilShiftStart;
        double start = Math.Clamp(level, 0, 100);
        if (charging)
        {
            if (timeToFull is { } full && full <= until)
                start = 100;
            else if (chargePerHour is { } rate and > 0)
                start = Math.Min(100, start + (rate * until.TotalHours));
            else if (timeToFull is { } left && left > TimeSpan.Zero)
                start = Math.Min(100, start + ((100 - start) * (until / left)));
        }

        if (drainPerHour is not { } drain || drain <= 0)
            return new RuntimeForecast(Math.Round(start, 1), null, false);
        var runtime = TimeSpan.FromHours(start / drain);
        return new RuntimeForecast(Math.Round(start, 1), runtime, runtime < shiftLength);
    }
}
