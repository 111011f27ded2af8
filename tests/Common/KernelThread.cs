using System.Globalization;

namespace EdgeMdm.Testing;

// Linked into the test projects with ServerProcess: a server's threads as the kernel reports them, read from /proc the
// way `ps` does, independently of the code under test.

/// <summary>One thread as the kernel reports it, from its directory under /proc (…/task/TID).</summary>
internal sealed record KernelThread(string Directory)
{
    /// <summary>The threads of process <paramref name="pid"/> with that name (truncated to 15 characters, as the kernel keeps it).</summary>
    public static IReadOnlyList<KernelThread> Named(int pid, string name)
    {
        var kept = name.Length > 15 ? name[..15] : name;
        return System.IO.Directory.EnumerateDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task")
            .Select(task => new KernelThread(task))
            .Where(thread => string.Equals(thread.Name, kept, StringComparison.Ordinal))
            .ToList();
    }

    public string? Name => ReadOrNull("comm")?.TrimEnd('\n');

    /// <summary>Fields 14 and 15 of <c>stat</c>: user and system CPU time, in clock ticks (1/100 s).</summary>
    public long CpuTicks
    {
        get
        {
            var fields = StatFields();
            return long.Parse(fields[14 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
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
