namespace EdgeMdm.ServiceDefaults.Backups;

/// <summary>
/// Whether another process holds a file under a directory open (a serving appliance or hub keeps its SQLite files open
/// for as long as it runs): read from Linux's <c>/proc/PID/fd</c>, as <c>lsof</c> does. Processes of other accounts cannot
/// be looked into and are not seen; elsewhere than Linux nothing is seen. Restore and factory reset refuse on a hit rather
/// than pull a live database from under its server.
/// </summary>
public static class DirectoryInUse
{
    /// <summary>The id of a process other than this one with a file under <paramref name="directory"/> open; null when none is seen.</summary>
    public static int? By(string directory)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc"))
            return null;
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(process), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
                continue;
            if (HoldsAnyUnder(Path.Combine(process, "fd"), root))
                return pid;
        }

        return null;
    }

    private static bool HoldsAnyUnder(string descriptors, string root)
    {
        try
        {
            foreach (var descriptor in Directory.EnumerateFileSystemEntries(descriptors))
            {
                if (new FileInfo(descriptor).LinkTarget is { } target && target.StartsWith(root, StringComparison.Ordinal))
                    return true;
            }
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            // Another account's process, or one that ended while it was read.
        }

        return false;
    }
}
