namespace EdgeMdm.Bench;

/// <summary>Busy and total CPU time of the whole machine, from the first line of /proc/stat (clock ticks).</summary>
internal sealed record MachineCpu(long Busy, long Total)
{
    private static readonly MachineCpu Unknown = new(0, 0);

    /// <summary>Now; zeros where /proc/stat cannot be read (not Linux).</summary>
    public static MachineCpu Read()
    {
        try
        {
            // cpu  user nice system idle iowait irq softirq steal ...
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var ticks = fields.Skip(1).Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var total = ticks.Sum();
            return new MachineCpu(total - ticks[3] - ticks[4], total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return Unknown;
        }
    }

    /// <summary>Cores busy between two readings, or NaN when unknown.</summary>
    public static double BusyCores(MachineCpu before, MachineCpu after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var total = after.Total - before.Total;
        return total <= 0 ? double.NaN : (after.Busy - before.Busy) / (double)total * Environment.ProcessorCount;
    }
}
