using System.Globalization;

namespace EdgeMdm.Fuzz;

/// <summary>
/// How long each fuzz target runs. <c>make test</c> runs a short pass: each target a fixed number of generated inputs
/// (a few seconds). <c>make fuzz</c> sets <c>FUZZ_SECONDS</c> and each target runs for that many seconds instead.
/// CsCheck shrinks a failing input to a small one and prints it with the seed that replays it (<c>CsCheck_Seed</c>).
/// </summary>
public static class Fuzzing
{
    public const string SecondsVariable = "FUZZ_SECONDS";

    /// <summary>Seconds per target for the long pass; null for the short pass.</summary>
    public static int? Seconds { get; } = int.TryParse(Environment.GetEnvironmentVariable(SecondsVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
        ? seconds
        : null;

    /// <summary>Checks <paramref name="property"/> on inputs of <paramref name="gen"/>: <paramref name="shortPass"/> of them, or for <see cref="Seconds"/>.</summary>
    public static void Run<T>(Gen<T> gen, Action<T> property, int shortPass, Func<T, string>? print = null, int threads = -1) =>
        gen.Sample(property, iter: shortPass, time: Seconds ?? -1, threads: threads, print: print);

    /// <summary>The same for a property that awaits (a request to a real server).</summary>
    public static Task RunAsync<T>(Gen<T> gen, Func<T, Task> property, int shortPass, Func<T, string>? print = null, int threads = -1) =>
        gen.SampleAsync(property, iter: shortPass, time: Seconds ?? -1, threads: threads, print: print);

    /// <summary>Bytes as the corpus stores them and a failure prints them: base64, pasteable into a corpus file.</summary>
    public static string Print(byte[] bytes) => $"{bytes.Length} bytes, base64 {Convert.ToBase64String(bytes)}";

    /// <summary>
    /// Asserts that <paramref name="action"/> allocated at most <paramref name="perInputByte"/> bytes per input byte
    /// plus <paramref name="fixedBytes"/> on this thread: a parser whose memory follows what a packet declares, not
    /// what it holds, fails here.
    /// </summary>
    public static void AssertBoundedAllocation(int inputLength, long perInputByte, long fixedBytes, Action action, string what)
    {
        ArgumentNullException.ThrowIfNull(action);
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var bound = fixedBytes + (perInputByte * inputLength);
        Assert.True(allocated <= bound, $"{what} allocated {allocated} bytes for {inputLength} input bytes (bound {bound})");
    }
}
