namespace EdgeMdm.Drills;

/// <summary>The command line of <c>edgemdm-drills</c>: which drills, short or full counts, the seed.</summary>
internal sealed record DrillOptions(IReadOnlyList<string> Drills, bool Short, int Seed, bool List)
{
    public const string Usage =
        "usage: edgemdm-drills [--drill NAME]... [--short|--full] [--seed N] [--list]\n" +
        "  --drill NAME  run only this drill (repeatable; default: every drill, in order)\n" +
        "  --short       the short version of each (minutes in all; the default when CI=true)\n" +
        "  --full        the full counts (the default otherwise)\n" +
        "  --seed N      the random seed of the fault timings (default: from the clock, printed)\n" +
        "  --list        list the drills";

    public static (DrillOptions? Options, string? Error) Parse(IReadOnlyList<string> args, string? ci)
    {
        var drills = new List<string>();
        var isShort = string.Equals(ci, "true", StringComparison.OrdinalIgnoreCase);
        var seed = Environment.TickCount & int.MaxValue;
        var list = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--drill" when i + 1 < args.Count:
                    var name = args[++i];
                    if (!DrillCatalog.All.Any(d => string.Equals(d.Name, name, StringComparison.Ordinal)))
                        return (null, $"no drill named '{name}' (--list shows them)");
                    drills.Add(name);
                    break;
                case "--short":
                    isShort = true;
                    break;
                case "--full":
                    isShort = false;
                    break;
                case "--seed" when i + 1 < args.Count:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out seed))
                        return (null, $"--seed takes a non-negative whole number, not '{args[i]}'");
                    break;
                case "--list":
                    list = true;
                    break;
                default:
                    return (null, $"unknown or incomplete argument '{args[i]}'");
            }
        }

        return (new DrillOptions(drills, isShort, seed, list), null);
    }
}
