namespace EdgeMdm.EndToEnd;

/// <summary>The appliance must boot and serve the site with no network beyond it, from the first second.</summary>
public sealed class OfflineTests
{
    private static bool CanCreateNetworkNamespace()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("unshare", "--net true") { RedirectStandardError = true, UseShellExecute = false });
            probe!.WaitForExit(5000);
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    [SkippableFact]
    public async Task Appliance_boots_and_serves_a_fleet_inside_a_network_namespace_with_only_loopback()
    {
        Skip.IfNot(CanCreateNetworkNamespace(), "creating a network namespace needs root (unshare --net)");
        using var data = new TempDirectory();
        Directory.CreateDirectory(data.Path);
        // A fresh namespace has no interface but a down loopback: no uplink, no DNS, nothing to reach.
        var script = $"""
            set -u
            ip link set lo up
            dotnet '{Processes.EdgeDll}' serve --data-dir '{data.Path}' --seed '{Processes.SeedPath}' --urls http://127.0.0.1:8080 --checkin-interval 1 > '{data.Path}/edge.log' 2>&1 &
            edge=$!
            for i in $(seq 1 150); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.2; done
            dotnet '{Processes.AgentDll}' simulate --server http://127.0.0.1:8080 --token {Processes.SeedToken} --devices 20 --duration 5s
            rc=$?
            kill $edge
            wait $edge
            exit $rc
            """;

        var result = await RunInNamespaceAsync(script);

        var log = File.Exists(Path.Combine(data.Path, "edge.log")) ? await File.ReadAllTextAsync(Path.Combine(data.Path, "edge.log")) : "";
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}\n{log}");
        Assert.StartsWith("enrolled=20 ", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(" errors=0 ", result.Stdout, StringComparison.Ordinal);
    }

    private static async Task<CommandResult> RunInNamespaceAsync(string script)
    {
        var info = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--net", "--", "bash", "-c", script })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }
}
