namespace EdgeMdm.Drills;

/// <summary>Runs the chosen drills one after another and prints each one's figures and broken promises; exit 1 when any failed.</summary>
internal static class DrillRun
{
    public static async Task<int> RunAsync(DrillOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var repository = Repository.Root;
        var chosen = options.Drills.Count == 0
            ? DrillCatalog.All
            : [.. DrillCatalog.All.Where(d => options.Drills.Contains(d.Name, StringComparer.Ordinal))];
        log.WriteLine(Invariant($"edgemdm-drills: {chosen.Count} drill(s), {(options.Short ? "short" : "full")} version, seed {options.Seed}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} CPUs"));
        var failed = new List<string>();
        foreach (var drill in chosen)
        {
            var work = Directory.CreateTempSubdirectory("edgemdm-drill-" + drill.Name + "-").FullName;
            var started = Stopwatch.GetTimestamp();
            log.WriteLine($"== {drill.Name}: {drill.Title}");
            DrillOutcome outcome;
            try
            {
                outcome = await drill.RunAsync(new DrillContext(repository, options.Short, log, options.Seed, work), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                outcome = new DrillOutcome([], [$"the drill itself failed: {e.GetType().Name}: {e.Message}"]);
            }
            finally
            {
                TryDelete(work);
            }

            foreach (var figure in outcome.Figures)
                log.WriteLine("   " + figure);
            foreach (var failure in outcome.Failures)
                log.WriteLine("   BROKEN: " + failure);
            log.WriteLine(Invariant($"   {(outcome.Passed ? "passed" : "FAILED")} in {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s"));
            if (!outcome.Passed)
                failed.Add(drill.Name);
        }

        log.WriteLine(failed.Count == 0 ? "edgemdm-drills: every drill passed" : $"edgemdm-drills: FAILED: {string.Join(", ", failed)}");
        return failed.Count == 0 ? 0 : 1;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover scratch directory under /tmp is harmless; the drill's own result stands.
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
