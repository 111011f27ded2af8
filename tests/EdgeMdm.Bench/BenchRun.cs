using System.Reflection;
using System.Runtime.InteropServices;

namespace EdgeMdm.Bench;

/// <summary>
/// The whole bench: the check-in scenario (the no-op endpoint, then the appliance, each as a child process
/// on a free loopback port and each under the same load), then the sync catch-up scenario (the hub and the
/// appliance, see <see cref="CatchupRun"/>); then one markdown report on standard output. Progress and
/// errors go to standard error.
/// </summary>
internal static class BenchRun
{
    /// <summary>The enrollment token of <c>edge/demo/site-seed.yaml</c> (group pickers).</summary>
    private const string DemoToken = "demo-pickers-token-2026";

    public static async Task<int> RunAsync(BenchOptions options)
    {
        if (Repository.FindRoot() is not { } repo)
            return Fail("EdgeMdm.sln not found above " + AppContext.BaseDirectory);

        // The appliance of the same configuration as this build (make bench: Release).
        var configuration = typeof(BenchRun).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var edgeDll = Path.Combine(repo, "edge", "EdgeMdm.Edge", "bin", configuration, "net10.0", "edgemdm-edge.dll");
        var cloudDll = Path.Combine(repo, "cloud", "EdgeMdm.Cloud", "bin", configuration, "net10.0", "edgemdm-cloud.dll");
        var seed = Path.Combine(repo, "edge", "demo", "site-seed.yaml");
        if (!File.Exists(edgeDll))
            return Fail($"the appliance is not built ({edgeDll}); run: dotnet build EdgeMdm.sln -c {configuration}");
        if ((options.Scenario & (BenchScenario.Catchup | BenchScenario.Download | BenchScenario.LineRate | BenchScenario.Fanin)) != BenchScenario.None && !File.Exists(cloudDll))
            return Fail($"the hub is not built ({cloudDll}); run: dotnet build EdgeMdm.sln -c {configuration}");

        // Ctrl-C or a TERM stops the load and the servers, and removes the data directory, before exiting.
        using var interrupted = new CancellationTokenSource();
        void Interrupt(PosixSignalContext signal)
        {
            signal.Cancel = true;
            interrupted.Cancel();
        }

        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        var startedAt = DateTimeOffset.UtcNow;
        var results = new BenchResults();
        try
        {
            await RunScenariosAsync(edgeDll, cloudDll, seed, options, results, interrupted.Token);
        }
        catch (ServerStartException e)
        {
            return Fail(e.Message);
        }
        catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
        {
            return Fail("interrupted", exitCode: 130);
        }

        await WriteReportAsync(options, startedAt, results);
        var errors = results.Errors;
        return errors == 0 ? 0 : Fail($"{errors} errors; a healthy run has none");
    }

    /// <summary>The scenarios the options ask for, in a fixed order; each result goes into <paramref name="results"/> as it is known.</summary>
    private static async Task RunScenariosAsync(string edgeDll, string cloudDll, string seed, BenchOptions options, BenchResults results, CancellationToken cancellationToken)
    {
        if (options.Scenario.HasFlag(BenchScenario.Checkin))
        {
            results.Rows.Add(await NoopAsync(options, cancellationToken));
            results.Rows.Add(await ApplianceAsync(edgeDll, seed, options, cancellationToken));
        }

        if (options.Scenario.HasFlag(BenchScenario.Catchup))
            results.Catchup = await CatchupRun.RunAsync(cloudDll, edgeDll, options, Console.Error, cancellationToken);
        if (options.Scenario.HasFlag(BenchScenario.Download))
            results.Download = await DownloadRun.RunAsync(cloudDll, edgeDll, options, Console.Error, cancellationToken);
        if (options.Scenario.HasFlag(BenchScenario.LineRate))
            results.LineRate = await LineRateRun.RunAsync(cloudDll, edgeDll, options, Console.Error, cancellationToken);
        if (options.Scenario.HasFlag(BenchScenario.Wake))
            results.Wake = await WakeRun.RunAsync(edgeDll, seed, options, Console.Error, cancellationToken);
        if (options.Scenario.HasFlag(BenchScenario.Tls))
            results.Tls = await TlsRun.RunAsync(edgeDll, seed, DemoToken, options, Console.Error, cancellationToken);
        if (options.Scenario.HasFlag(BenchScenario.Staging))
            results.Staging = await StagingRun.RunAsync(edgeDll, options, Console.Error, cancellationToken);
        if (options.Scenario.HasFlag(BenchScenario.Overview))
            results.Overview = await OverviewRun.RunAsync(edgeDll, options, Console.Error, cancellationToken);
        if (options.Scenario.HasFlag(BenchScenario.Footprint))
            results.Footprint = await FootprintRun.RunAsync(Repository.Root, seed, options, Console.Error, cancellationToken);
        if (options.Scenario.HasFlag(BenchScenario.Site))
            results.Site = await SiteLoadRun.RunAsync(edgeDll, seed, options, Console.Error, cancellationToken);
        if (options.Scenario.HasFlag(BenchScenario.Durable))
            results.Durable = await DurableWritesRun.RunAsync(options, Console.Error, cancellationToken);
        if (options.Scenario.HasFlag(BenchScenario.Fanin))
            results.Fanin = await FaninRun.RunAsync(cloudDll, options, Console.Error, cancellationToken);
    }

    /// <summary>One markdown report of the scenarios that ran, on standard output and in --out FILE.</summary>
    private static async Task WriteReportAsync(BenchOptions options, DateTimeOffset startedAt, BenchResults results)
    {
        var sections = new List<string>();
        if (results.Rows.Count > 0)
            sections.Add(Report.Render(options, results.Rows, startedAt));
        if (results.Catchup is { } catchup)
            sections.Add(CatchupReport.Render(catchup, startedAt));
        if (results.Download is { } download)
            sections.Add(DownloadReport.Render(download, startedAt));
        if (results.LineRate is { } lineRate)
            sections.Add(LineRateReport.Render(lineRate, startedAt));
        if (results.Wake is { } wake)
            sections.Add(WakeReport.Render(wake, startedAt));
        if (results.Tls is { } tls)
            sections.Add(TlsReport.Render(tls, startedAt));
        if (results.Staging is { } staging)
            sections.Add(StagingReport.Render(staging, startedAt));
        if (results.Overview is { } overview)
            sections.Add(OverviewReport.Render(overview, startedAt));
        if (results.Footprint is { } footprint)
            sections.Add(FootprintReport.Render(footprint, startedAt));
        if (results.Site is { } site)
            sections.Add(SiteLoadReport.Render(site, startedAt));
        if (results.Durable is { } durable)
            sections.Add(DurableWritesReport.Render(durable, startedAt));
        if (results.Fanin is { } fanin)
            sections.Add(FaninReport.Render(fanin, startedAt));
        var report = string.Join("\n", sections);
        Console.Write(report);
        if (options.OutFile is { } outFile)
        {
            if (Path.GetDirectoryName(Path.GetFullPath(outFile)) is { } directory)
                Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(outFile, report, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        }
    }

    private static async Task<RunResult> NoopAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var url = ServerProcess.FreeLoopbackUrl();
        Console.Error.WriteLine($"edgemdm-bench: no-op endpoint on {url}");
        // Server GC, as the appliance has it (the Web SDK's default): the same runtime, minus the work.
        var serverGc = new Dictionary<string, string>(StringComparer.Ordinal) { ["DOTNET_gcServer"] = "1" };
        string[] args = ["noop-server", "--urls", Text(url)];
        await using var noop = await StartAsync("no-op endpoint", typeof(BenchRun).Assembly.Location, args, url, serverGc, cancellationToken);
        return await LoadRun.RunAsync("no-op endpoint", noop, "noop-token-not-checked", options, Console.Error, cancellationToken);
    }

    /// <summary>The real appliance on a fresh data directory, removed afterwards.</summary>
    private static async Task<RunResult> ApplianceAsync(string edgeDll, string seed, BenchOptions options, CancellationToken cancellationToken)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "edgemdm-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var url = ServerProcess.FreeLoopbackUrl();
            Console.Error.WriteLine($"edgemdm-bench: appliance on {url}, data in {dataDir}");
            string[] args = ["serve", "--data-dir", dataDir, "--seed", seed, "--urls", Text(url)];
            await using var appliance = await StartAsync("appliance", edgeDll, args, url, environment: null, cancellationToken);
            return await LoadRun.RunAsync("appliance", appliance, DemoToken, options, Console.Error, cancellationToken);
        }
        finally
        {
            // Reached after the appliance has stopped (the await using above), so no file is open.
            DeleteDirectory(dataDir);
        }
    }

    private static async Task<ServerProcess> StartAsync(
        string name, string dll, IEnumerable<string> args, Uri url, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        try
        {
            return await ServerProcess.StartAsync(dll, args, url, environment, cancellationToken);
        }
        catch (ServerStartException e)
        {
            throw new ServerStartException($"the {name} did not start: {e.Message}", e);
        }
    }

    private static int Fail(string message, int exitCode = 1)
    {
        Console.Error.WriteLine("edgemdm-bench: " + message);
        return exitCode;
    }

    /// <summary>"http://127.0.0.1:PORT", as Kestrel's --urls takes it.</summary>
    private static string Text(Uri url) => url.GetLeftPart(UriPartial.Authority);

    private static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created: the appliance did not get that far.
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"edgemdm-bench: could not remove {path}: {e.Message}");
        }
    }
}

/// <summary>What the scenarios of one run produced; null for a scenario that did not run.</summary>
internal sealed class BenchResults
{
    /// <summary>The check-in scenario's rows: the no-op endpoint, then the appliance.</summary>
    public List<RunResult> Rows { get; } = [];

    public CatchupResult? Catchup { get; set; }

    public DownloadResult? Download { get; set; }

    public LineRateResult? LineRate { get; set; }

    public WakeResult? Wake { get; set; }

    public TlsResult? Tls { get; set; }

    public StagingResult? Staging { get; set; }

    public OverviewResult? Overview { get; set; }

    public FootprintResult? Footprint { get; set; }

    public SiteLoadResult? Site { get; set; }

    public DurableResult? Durable { get; set; }

    public FaninResult? Fanin { get; set; }

    public long Errors =>
        Rows.Sum(r => r.Errors) + (Catchup?.Errors ?? 0) + (Download?.Errors ?? 0) + (Wake?.Errors ?? 0) + (Tls?.Errors ?? 0) + (Staging?.Errors ?? 0) + (Overview?.Errors ?? 0) + (Footprint?.Errors ?? 0) + (LineRate?.Errors ?? 0) + (Site?.Errors ?? 0)
        + (Fanin?.Errors ?? 0);
}
