using System.Diagnostics;
using System.Globalization;

namespace EdgeMdm.Testing;

/// <summary>
/// CPU weight of the processes a bench or test starts. A bench runs its load generator (the devices) at the least
/// weight (<c>nice 19</c>, set by <c>make bench</c>), because a site's devices are other machines; the servers it
/// starts — ours and the reference ones alike — must not inherit that and run at the normal weight. Outside a
/// deprioritised process (tests, <c>make run</c>) nothing changes.
/// </summary>
internal static class ProcessWeight
{
    /// <summary>This process's nice value (0 normal, 19 least weight); 0 where it cannot be read.</summary>
    public static int CurrentNice => NiceOf("self");

    /// <summary>
    /// <paramref name="info"/> changed to start its program at the normal weight when this process runs deprioritised:
    /// through <c>nice -n -N</c>, so every thread of the server is at 0 from its first instruction. Needs the
    /// privilege to raise priority (root here); without it <c>nice</c> still runs the program, at this process's
    /// weight, which <see cref="NiceOf"/> then shows.
    /// </summary>
    public static ProcessStartInfo AtServerWeight(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var nice = CurrentNice;
        if (nice <= 0)
            return info;
        var wrapped = new ProcessStartInfo("nice")
        {
            UseShellExecute = false,
            RedirectStandardInput = info.RedirectStandardInput,
            RedirectStandardOutput = info.RedirectStandardOutput,
            RedirectStandardError = info.RedirectStandardError,
            WorkingDirectory = info.WorkingDirectory,
        };
        wrapped.ArgumentList.Add("-n");
        wrapped.ArgumentList.Add((-nice).ToString(CultureInfo.InvariantCulture));
        wrapped.ArgumentList.Add(info.FileName);
        foreach (var arg in info.ArgumentList)
            wrapped.ArgumentList.Add(arg);
        wrapped.Environment.Clear();
        foreach (var (name, value) in info.Environment)
            wrapped.Environment[name] = value;
        return wrapped;
    }

    /// <summary>The nice value of process <paramref name="pid"/> ("self" for this one) from <c>/proc/PID/stat</c>; 0 where it cannot be read.</summary>
    public static int NiceOf(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces and parentheses; the fields after its closing one are plain.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[16], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return 0;
        }
    }
}
