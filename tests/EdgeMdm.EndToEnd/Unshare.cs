namespace EdgeMdm.EndToEnd;

/// <summary>unshare(1): a bash script run in new namespaces (mount, network) that nothing outside the test sees.</summary>
internal static class Unshare
{
    /// <summary>Whether <c>unshare ARGS</c> succeeds on this machine (it needs root): the probe before a test that needs it.</summary>
    public static bool Works(params string[] args)
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("unshare", args) { RedirectStandardError = true, UseShellExecute = false });
            probe!.WaitForExit(5000);
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs <paramref name="script"/> with bash in the new namespaces <paramref name="namespaces"/> ask for (e.g. <c>--net</c>);
    /// one still running after <paramref name="timeout"/> is killed and the wait fails.
    /// </summary>
    public static Task<CommandResult> RunScriptAsync(IEnumerable<string> namespaces, string script, TimeSpan timeout) =>
        Processes.RunProgramAsync("unshare", [.. namespaces, "--", "bash", "-c", script], timeout);
}
