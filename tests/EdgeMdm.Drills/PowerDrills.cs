using EdgeMdm.Drills.Power;

namespace EdgeMdm.Drills;

/// <summary>Drill 1: SIGKILL of the appliance at random moments during a check-in storm, staging batches and sync.</summary>
internal sealed class PowerCutDrill : IDrill
{
    public string Name => "power-cut";

    public string Title => "SIGKILL of the appliance at random moments 50-800 ms apart under load: every 2xx kept, integrity, serving within 5 s, hub exactly once";

    public Task<DrillOutcome> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new PowerCycles(context, context.Short ? 15 : 200, devices: 30, new ProcessDeath()).RunAsync(cancellationToken);
    }
}

/// <summary>
/// Drill 2: as <see cref="PowerCutDrill"/>, but the power goes: every process writing the data directory dies and every
/// write not fsynced is lost (an LD_PRELOAD undo journal, native/unsynced.c, and its restorer).
/// </summary>
internal sealed class PowerLossDrill : IDrill
{
    public string Name => "power-loss";

    public string Title => "power loss: as power-cut, and every write not yet fsynced is lost at the cut (LD_PRELOAD undo journal)";

    public async Task<DrillOutcome> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var shim = Path.Combine(context.WorkDirectory, "unsynced.so");
        var build = await Built.RunProgramAsync("bash", [Path.Combine(context.Repository, "tests", "EdgeMdm.Drills", "native", "build.sh"), shim], TimeSpan.FromMinutes(5));
        if (build.ExitCode != 0)
            return new DrillOutcome([], ["could not build the shim: " + build.Stderr.Trim()]);
        var journal = new UnsyncedJournal(Path.Combine(context.WorkDirectory, "journal", "unsynced"), Path.Combine(context.WorkDirectory, "edge"));
        Directory.CreateDirectory(Path.Combine(context.WorkDirectory, "journal"));
        Directory.CreateDirectory(Path.Combine(context.WorkDirectory, "edge"));
        return await new PowerCycles(context, context.Short ? 8 : 100, devices: 30, new UnsyncedWritesLost(journal, shim)).RunAsync(cancellationToken);
    }
}
