namespace EdgeMdm.Drills.Power;

/// <summary>What a cut does beyond killing the appliance: the two power drills differ only here.</summary>
internal interface IPowerFault
{
    /// <summary>Environment for every process that writes the data directory (the appliance, the operator's commands).</summary>
    IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>Whether the cut also kills an operator's command running beside the appliance (the whole machine lost power).</summary>
    bool KillsOperatorCommands { get; }

    /// <summary>Runs after every process writing the data directory is dead and before anything reads it.</summary>
    void AfterCut();

    /// <summary>The cycle's figures summed up, or null.</summary>
    string? Summary();
}

/// <summary>Drill 1: SIGKILL of the appliance process; what it wrote is in the page cache and survives, as after a crash.</summary>
internal sealed class ProcessDeath : IPowerFault
{
    public IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public bool KillsOperatorCommands => false;

    public void AfterCut()
    {
        // A process's death loses nothing the kernel was given: the files are as it left them.
    }

    public string? Summary() => null;
}

/// <summary>
/// Drill 2: the power goes: every process writing the data directory dies, and every write the kernel had not been
/// told to make durable (no fsync/fdatasync of its file since) is undone (<see cref="UnsyncedJournal"/>).
/// </summary>
internal sealed class UnsyncedWritesLost(UnsyncedJournal journal, string shim) : IPowerFault
{
    private int _changes;
    private int _files;

    public IReadOnlyDictionary<string, string> Environment { get; } = journal.Environment(shim);

    public bool KillsOperatorCommands => true;

    public void AfterCut()
    {
        var (changes, files) = journal.Restore();
        _changes += changes;
        _files += files;
    }

    public string? Summary() => Invariant($"unsynced changes undone at the cuts: {_changes} (in {_files} file restorations)");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
