namespace EdgeMdm.Drills;

/// <summary>
/// One fault drill: it starts what it needs (appliance, hub, devices), does the fault, checks every promise that must
/// hold after it, and cleans up whatever happens. A broken promise is a failure to fix, never a figure to report.
/// </summary>
internal interface IDrill
{
    /// <summary>The name <c>--drill</c> takes (lower case, dashes).</summary>
    string Name { get; }

    /// <summary>One line for the list and the report.</summary>
    string Title { get; }

    Task<DrillOutcome> RunAsync(DrillContext context, CancellationToken cancellationToken);
}

/// <summary>What a drill is given: the repository, whether to run the short version, where to log, its random seed, a scratch directory.</summary>
internal sealed record DrillContext(string Repository, bool Short, TextWriter Log, int Seed, string WorkDirectory);

/// <summary>
/// What a drill found: <see cref="Figures"/> are what it did and measured (cycles, writes checked, time to serve
/// again), <see cref="Failures"/> every promise it saw broken; it passed when there are none.
/// </summary>
internal sealed record DrillOutcome(IReadOnlyList<string> Figures, IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;
}
