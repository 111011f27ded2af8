using System.Globalization;

namespace EdgeMdm.Testing;

/// <summary>
/// Every log line the test hosts (<see cref="CapturingLoggerProvider"/>) and the processes the tests start
/// (<see cref="ProcessOutput"/>) write, also appended to one file per test process under <c>artifacts/test-logs/</c>,
/// so that <c>tests/scripts/scan-test-logs.sh</c> (run by <c>make test</c> after the tests) can look for secrets in
/// everything the suite logged. Outside a checkout nothing is written.
/// </summary>
internal static class TestLogFiles
{
    private static readonly Lazy<StreamWriter?> Writer = new(Open);
    private static readonly Lock Gate = new();

    /// <summary>Appends <paramref name="line"/>, tagged with where it came from (a logger category, a process).</summary>
    public static void Append(string source, string line)
    {
        if (Writer.Value is not { } writer)
            return;
        lock (Gate)
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{source}: {line}"));
    }

    private static StreamWriter? Open()
    {
        if (Repository.FindRoot() is not { } root)
            return null;
        var directory = Path.Combine(root, "artifacts", "test-logs");
        Directory.CreateDirectory(directory);
        // Named after the test assembly this file is compiled into (the process is the test host, "testhost").
        var name = $"{typeof(TestLogFiles).Assembly.GetName().Name}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.log";
        var writer = new StreamWriter(new FileStream(Path.Combine(directory, name), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => writer.Dispose();
        return writer;
    }
}
