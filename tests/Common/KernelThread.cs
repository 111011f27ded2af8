using System.Globalization;

namespace EdgeMdm.Testing;

// Shared by the appliance's unit tests and the end-to-end tests (linked into both): how the kernel schedules one
// thread, read from its /proc directory the way `ps` and `chrt` do, independently of the code that set it.

/// <summary>One thread's scheduling as the kernel reports it, from its directory under /proc (…/task/TID).</summary>
internal sealed record KernelThread(string Directory)
{
    /// <summary>The calling thread's.</summary>
    public static KernelThread Current => new("/proc/thread-self");

    /// <summary>
    /// Whether the kernel keeps a slice a normal thread asks for (Linux's EEVDF, 6.12 on) and shows it
    /// (<c>se.slice</c> in the thread's <c>sched</c> file). Read from the version, never from the code under test.
    /// </summary>
    public static bool KeepsRequestedSlices =>
        OperatingSystem.IsLinux() && Environment.OSVersion.Version >= new Version(6, 12) && Current.Slice is not null;

    /// <summary>The threads of process <paramref name="pid"/> with that name (truncated to 15 characters, as the kernel keeps it).</summary>
    public static IReadOnlyList<KernelThread> Named(int pid, string name)
    {
        var kept = name.Length > 15 ? name[..15] : name;
        return System.IO.Directory.EnumerateDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task")
            .Select(task => new KernelThread(task))
            .Where(thread => string.Equals(thread.Name, kept, StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>The thread with kernel id <paramref name="tid"/> in this process.</summary>
    public static KernelThread OfThisProcess(int tid) => new($"/proc/self/task/{tid.ToString(CultureInfo.InvariantCulture)}");

    public string? Name => ReadOrNull("comm")?.TrimEnd('\n');

    /// <summary>Field 19 of <c>stat</c>.</summary>
    public int Nice => int.Parse(StatFields()[19 - 3], CultureInfo.InvariantCulture);

    /// <summary>Field 41 of <c>stat</c>: 0 normal, 3 batch, 5 idle, 1 and 2 real-time.</summary>
    public int Policy => int.Parse(StatFields()[41 - 3], CultureInfo.InvariantCulture);

    /// <summary>Fields 14 and 15 of <c>stat</c>: user and system CPU time, in clock ticks (1/100 s).</summary>
    public long CpuTicks
    {
        get
        {
            var fields = StatFields();
            return long.Parse(fields[14 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The slice the thread runs with, in nanoseconds; null where the kernel shows none.</summary>
    public long? Slice
    {
        get
        {
            var line = ReadOrNull("sched")?.Split('\n').FirstOrDefault(l => l.StartsWith("se.slice ", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The fields of <c>stat</c> from the third on: those after the parenthesised name.</summary>
    private string[] StatFields()
    {
        var stat = File.ReadAllText(Path.Combine(Directory, "stat"));
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    private string? ReadOrNull(string file)
    {
        try
        {
            return File.ReadAllText(Path.Combine(Directory, file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
