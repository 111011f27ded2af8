using System.Diagnostics;
using System.Globalization;

namespace EdgeMdm.Testing;

/// <summary>
/// CPU weight of the processes a bench or test starts. <c>make bench</c> runs its load generator (the devices) at the
/// least weight through <c>tests/scripts/least-weight.sh</c> — a CPU cgroup of the least weight, or <c>nice 19</c> where
/// none can be made — because a site's devices are other machines; the servers it starts, ours and the reference ones
/// alike, must not inherit that and run at the normal weight. Outside a deprioritised process (tests, <c>make run</c>)
/// nothing changes.
/// </summary>
internal static class ProcessWeight
{
    /// <summary>Set by least-weight.sh: the <c>cgroup.procs</c> of the normal-weight group; empty or unset under nice alone.</summary>
    private const string ServerGroupVariable = "EDGEMDM_SERVER_CGROUP_PROCS";

    /// <summary>This process's nice value (0 normal, 19 least weight); 0 where it cannot be read.</summary>
    public static int CurrentNice => NiceOf("self");

    /// <summary>One line: the mechanism this process runs under (what least-weight.sh says), for the bench's first line.</summary>
    public static string LoadWeight =>
        Environment.GetEnvironmentVariable("EDGEMDM_LOAD_WEIGHT") is { Length: > 0 } mechanism
            ? mechanism
            : $"nice {CurrentNice}, no CPU cgroup (not started by make bench, which runs it through tests/scripts/least-weight.sh)";

    /// <summary>The cgroup.procs file a server moves itself to, or null when this process is in no least-weight group.</summary>
    private static string? ServerGroupProcs =>
        Environment.GetEnvironmentVariable(ServerGroupVariable) is { Length: > 0 } procs && File.Exists(procs) ? procs : null;

    /// <summary>
    /// <paramref name="info"/> changed to start its program at the normal weight when this process runs deprioritised:
    /// a <c>sh</c> that writes its own pid into the normal-weight group's <c>cgroup.procs</c> (least-weight.sh's
    /// parent group), then execs the program through <c>nice -n -N</c>, so every thread of the server is in that group
    /// at nice 0 from its first instruction; its children (nginx's workers, PostgreSQL's backends) follow it. Both need
    /// root; without it the program still runs, at this process's weight, which <see cref="IsAtLoadWeight"/> shows.
    /// </summary>
    public static ProcessStartInfo AtServerWeight(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var nice = CurrentNice;
        var procs = ServerGroupProcs;
        if (nice <= 0 && procs is null)
            return info;
        var wrapped = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = info.RedirectStandardInput,
            RedirectStandardOutput = info.RedirectStandardOutput,
            RedirectStandardError = info.RedirectStandardError,
            WorkingDirectory = info.WorkingDirectory,
        };
        // $1 is the cgroup.procs file ("" for none); the rest is the command. A failed move is left to IsAtLoadWeight to name.
        wrapped.ArgumentList.Add("-c");
        wrapped.ArgumentList.Add("""if [ -n "$1" ]; then echo $$ > "$1" 2>/dev/null; fi; shift; exec "$@" """);
        wrapped.ArgumentList.Add("sh");
        wrapped.ArgumentList.Add(procs ?? "");
        if (nice > 0)
        {
            wrapped.ArgumentList.Add("nice");
            wrapped.ArgumentList.Add("-n");
            wrapped.ArgumentList.Add((-nice).ToString(CultureInfo.InvariantCulture));
        }

        wrapped.ArgumentList.Add(info.FileName);
        foreach (var arg in info.ArgumentList)
            wrapped.ArgumentList.Add(arg);
        wrapped.Environment.Clear();
        foreach (var (name, value) in info.Environment)
            wrapped.Environment[name] = value;
        return wrapped;
    }

    /// <summary>
    /// Whether process <paramref name="pid"/> still runs at this process's least weight: a nice above 0, or the same
    /// CPU cgroup while this process is in a least-weight one. Read once the server answers: until then the child may
    /// still be the wrapper.
    /// </summary>
    public static bool IsAtLoadWeight(int pid)
    {
        var id = pid.ToString(CultureInfo.InvariantCulture);
        if (CurrentNice > 0 && NiceOf(id) > 0)
            return true;
        return ServerGroupProcs is not null && CpuGroupOf(id) is { } group && string.Equals(group, CpuGroupOf("self"), StringComparison.Ordinal);
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

    /// <summary>The CPU cgroup of a process (the v1 "cpu" line, else the v2 "0::" line of /proc/PID/cgroup); null where unknown.</summary>
    private static string? CpuGroupOf(string pid)
    {
        try
        {
            string? unified = null;
            foreach (var line in File.ReadLines($"/proc/{pid}/cgroup"))
            {
                var parts = line.Split(':', 3);
                if (parts.Length < 3)
                    continue;
                if (parts[1].Split(',').Contains("cpu", StringComparer.Ordinal))
                    return parts[2];
                if (parts[1].Length == 0)
                    unified = parts[2];
            }

            return unified;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
