namespace EdgeMdm.Drills.Faults;

/// <summary>
/// One process's wall clock, moved while it runs: libfaketime (Debian's <c>faketime</c>, which <c>tests/scripts/setup.sh</c>
/// installs) preloaded into it reads its offset from a file at most once a second (<c>FAKETIME_CACHE_DURATION=1</c>: with
/// <c>FAKETIME_NO_CACHE=1</c> it reads the file at every clock call, and the appliance, which reads the clock thousands of
/// times a second, then missed its 30 s start on a loaded machine twice), and leaves the
/// monotonic clock alone (<c>FAKETIME_DONT_FAKE_MONOTONIC=1</c>), as an NTP step or an operator's <c>date -s</c> moves
/// CLOCK_REALTIME and nothing else. A time namespace cannot do this: it offsets only the monotonic and boot clocks.
/// </summary>
internal sealed class FakeClock
{
    private const string Library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

    private readonly string _file;

    public FakeClock(string workDirectory)
    {
        _file = Path.Combine(workDirectory, "clock-offset");
        File.WriteAllText(_file, "+0\n");
    }

    public static bool Available => File.Exists(Library);

    /// <summary>The environment of a process whose clock this moves.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["LD_PRELOAD"] = Library,
        ["FAKETIME_TIMESTAMP_FILE"] = _file,
        ["FAKETIME_CACHE_DURATION"] = "1",
        ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
    };

    /// <summary>Sets the processes' wall clock to the real one plus <paramref name="offset"/>, at once.</summary>
    public void Set(TimeSpan offset)
    {
        // Written aside and renamed: a process reading it mid-write must see the old offset or the new one.
        var next = _file + ".next";
        File.WriteAllText(next, "+" + ((long)offset.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(next, _file, overwrite: true);
    }
}
