namespace EdgeMdm.EndToEnd;

/// <summary><c>edgemdm-agent simulate</c>: a fleet checking in at an appliance every second, as a process of its own.</summary>
internal static class Simulation
{
    /// <summary>Starts <paramref name="devices"/> devices for <paramref name="duration"/> (e.g. <c>15s</c>); <paramref name="extraArgs"/> go on the end.</summary>
    public static Process Start(ApplianceProcess appliance, string token, int devices, string duration, params string[] extraArgs) =>
        Processes.Start(Processes.AgentDll,
            ["simulate", .. appliance.AgentArgs, "--token", token, "--devices", devices.ToString(CultureInfo.InvariantCulture),
                "--duration", duration, "--interval", "1s", .. extraArgs]);

    /// <summary>Waits for a started simulation (killed after <paramref name="timeout"/>) and returns its summary; it must exit 0.</summary>
    public static async Task<string> FinishAsync(Process simulation, TimeSpan timeout)
    {
        var (exitCode, stdout, stderr) = await Processes.FinishAsync(simulation, timeout);
        Assert.True(exitCode == 0, $"simulate exited {exitCode}: {stdout}\n{stderr}");
        return stdout;
    }

    /// <summary><see cref="Start"/> and <see cref="FinishAsync"/> in one.</summary>
    public static async Task<string> RunAsync(ApplianceProcess appliance, string token, int devices, string duration, TimeSpan timeout, params string[] extraArgs)
    {
        using var simulation = Start(appliance, token, devices, duration, extraArgs);
        return await FinishAsync(simulation, timeout);
    }
}
