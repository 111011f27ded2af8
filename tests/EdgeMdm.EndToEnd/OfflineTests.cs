namespace EdgeMdm.EndToEnd;

/// <summary>The appliance must boot and serve the site with no network beyond it, from the first second.</summary>
public sealed class OfflineTests
{
    [SkippableFact]
    public async Task Appliance_boots_and_serves_a_fleet_inside_a_network_namespace_with_only_loopback()
    {
        Skip.IfNot(Unshare.Works("--net", "true"), "creating a network namespace needs root (unshare --net)");
        using var data = new TempDirectory();
        Directory.CreateDirectory(data.Path);
        // A fresh namespace has no interface but a down loopback: no uplink, no DNS, nothing to reach. The appliance
        // listens where it does by default (https 8443, plain HTTP 8080 for the liveness probe and redirects), and the
        // fleet is given the pin the operator command prints, as a site's devices are.
        var script = $"""
            set -u
            ip link set lo up
            dotnet '{Processes.EdgeDll}' serve --data-dir '{data.Path}' --seed '{Processes.SeedPath}' --checkin-interval 1 > '{data.Path}/edge.log' 2>&1 &
            edge=$!
            for i in $(seq 1 150); do curl -fs http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break; sleep 0.2; done
            pin=$(dotnet '{Processes.EdgeDll}' tls show --json --data-dir '{data.Path}' | sed -n 's/.*"pin":"\([0-9a-f]*\)".*/\1/p')
            dotnet '{Processes.AgentDll}' simulate --server https://127.0.0.1:8443 --pin "$pin" --token {Processes.SeedToken} --devices 20 --duration 5s
            rc=$?
            kill $edge
            wait $edge
            exit $rc
            """;

        var result = await Unshare.RunScriptAsync(["--net"], script, TimeSpan.FromMinutes(2));

        var log = File.Exists(Path.Combine(data.Path, "edge.log")) ? await File.ReadAllTextAsync(Path.Combine(data.Path, "edge.log")) : "";
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}\n{log}");
        Assert.StartsWith("enrolled=20 ", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(" errors=0 ", result.Stdout, StringComparison.Ordinal);
    }
}
