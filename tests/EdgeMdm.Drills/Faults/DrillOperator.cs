namespace EdgeMdm.Drills.Faults;

/// <summary>
/// An operator at the appliance's console during the drill (<c>edgemdm-edge</c> commands on its data directory while it
/// serves): per device in turn, staged by hand (Active), a ring command, then quarantined. Every command must succeed.
/// </summary>
internal sealed class DrillOperator(string dataDir, IReadOnlyList<FleetDevice> devices)
{
    private int _next;

    /// <summary>Operator commands run (each a transition or a queued command at the site).</summary>
    public int Done { get; private set; }

    /// <summary>Commands sent (queued for a device).</summary>
    public int CommandsSent { get; private set; }

    /// <summary>Works device after device until <paramref name="until"/> ends, <paramref name="pause"/> between devices.</summary>
    public async Task WorkAsync(TimeSpan pause, List<string> failures, CancellationToken until)
    {
        try
        {
            while (!until.IsCancellationRequested && _next < devices.Count)
            {
                await WorkOnAsync(devices[_next++], failures);
                await Task.Delay(pause, until);
            }
        }
        catch (OperationCanceledException) when (until.IsCancellationRequested)
        {
            // The shift ended.
        }
    }

    /// <summary>The next device not worked on yet, if any.</summary>
    public Task WorkOnNextAsync(List<string> failures) =>
        _next < devices.Count ? WorkOnAsync(devices[_next++], failures) : Task.CompletedTask;

    /// <summary>One device: Active, ring, Quarantined.</summary>
    private async Task WorkOnAsync(FleetDevice device, List<string> failures)
    {
        string[][] steps =
        [
            ["devices", "set-state", device.DeviceId, "Active", "--reason", "staged by hand"],
            ["commands", "send", "--device", device.DeviceId, "ring"],
            ["devices", "set-state", device.DeviceId, "Quarantined", "--reason", "left the site"],
        ];
        foreach (var step in steps)
        {
            var result = await Built.EdgeAsync(dataDir, step);
            if (result.ExitCode != 0)
            {
                lock (failures)
                    failures.Add($"edgemdm-edge {string.Join(' ', step)}: {result.Describe()}");
                return;
            }

            Done++;
            if (string.Equals(step[0], "commands", StringComparison.Ordinal))
                CommandsSent++;
        }
    }
}
