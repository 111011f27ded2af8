namespace EdgeMdm.EndToEnd;

/// <summary>
/// A full disk is the site's trouble, not the appliance's bug: devices are told to come back (503, Retry-After), readiness
/// says why, the log says it once, an operator command says it in one line, and everything works again once space returns.
/// </summary>
public sealed class DiskFullTests
{
    [SkippableFact]
    public async Task On_a_full_disk_devices_get_503_readiness_says_why_the_cli_one_line_and_space_back_heals_it()
    {
        Skip.IfNot(Unshare.Works("--mount", "--propagation", "private", "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", "/mnt") || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.Ordinal),
            "mounting a small file system in a mount namespace of the test's own needs root (unshare --mount)");
        using var work = new TempDirectory();
        Directory.CreateDirectory(work.Path);
        var port = ApplianceProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        var url = "https://127.0.0.1:" + port;
        // The data directory is a 16 MiB file system mounted in a mount namespace of this test's own, so nothing of it is
        // seen outside; the appliance's log stays outside it.
        var script = $$"""
            set -u
            disk='{{work.Path}}/disk'; log='{{work.Path}}/edge.log'
            mkdir -p "$disk" && mount -t tmpfs -o size=16m tmpfs "$disk" || exit 90
            dotnet '{{Processes.EdgeDll}}' serve --data-dir "$disk/data" --seed '{{Processes.SeedPath}}' --urls {{url}} --Edge:StorageFloorBytes 1048576 > "$log" 2>&1 &
            edge=$!
            # curl trusts the site's own authority, which the appliance makes in its data directory before it listens.
            curl() { command curl --cacert "$disk/data/tls/site-ca.pem" "$@"; }
            for i in $(seq 1 150); do curl -fs {{url}}/healthz >/dev/null 2>&1 && break; sleep 0.2; done
            checkin() { curl -s -o /dev/null -w '%{http_code} %header{retry-after}\n' -X POST {{url}}/api/v1/checkin -H "Authorization: Bearer $secret" -H 'Content-Type: application/json' -d "{\"status\":{\"battery\":{\"level\":$1} } }"; }
            secret=$(curl -s -X POST {{url}}/api/v1/enroll -H 'Content-Type: application/json' -d '{"enrollmentToken":"{{Processes.SeedToken}}","serial":"SN-FULL","model":"TC52","manufacturer":"Zebra","osVersion":"14","agentVersion":"1"}' | sed -n 's/.*"deviceSecret":"\([^"]*\)".*/\1/p')
            echo "before $(checkin 10)"
            echo "ready-before $(curl -s -o /dev/null -w '%{http_code}' {{url}}/readyz)"
            dd if=/dev/zero of="$disk/filler" bs=64k 2>/dev/null
            for i in 1 2 3 4 5; do echo "full $(checkin $((20 + i)))"; done
            echo "enroll-full $(curl -s -o /dev/null -w '%{http_code}' -X POST {{url}}/api/v1/enroll -H 'Content-Type: application/json' -d '{"enrollmentToken":"{{Processes.SeedToken}}","serial":"SN-LATE","model":"TC52","manufacturer":"Zebra","osVersion":"14","agentVersion":"1"}')"
            echo "readyz-full $(curl -s {{url}}/readyz)"
            dotnet '{{Processes.EdgeDll}}' token create --group pickers --data-dir "$disk/data" > '{{work.Path}}/cli.out' 2> '{{work.Path}}/cli.err'
            echo "cli-exit $?"
            rm "$disk/filler"
            echo "after $(checkin 30)"
            echo "ready-after $(curl -s -o /dev/null -w '%{http_code}' {{url}}/readyz)"
            kill $edge; wait $edge
            """;

        var result = await Unshare.RunScriptAsync(["--mount", "--propagation", "private"], script, TimeSpan.FromMinutes(3));

        var output = result.Stdout;
        var log = await File.ReadAllTextAsync(Path.Combine(work.Path, "edge.log"));
        var context = $"{output}\n{result.Stderr}\n{log}";
        Assert.True(result.ExitCode != 90, "could not mount the test's file system: " + context);
        Assert.Contains("before 200 ", output, StringComparison.Ordinal);
        Assert.Contains("ready-before 200", output, StringComparison.Ordinal);
        var full = output.Split('\n').Where(l => l.StartsWith("full ", StringComparison.Ordinal)).ToList();
        Assert.True(full.Count == 5 && full.All(l => l.StartsWith("full 503 30", StringComparison.Ordinal)), context);
        Assert.Contains("enroll-full 503", output, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"Unhealthy\"", output, StringComparison.Ordinal);
        Assert.Contains("disk is full", output, StringComparison.Ordinal);
        Assert.Contains("cli-exit 1", output, StringComparison.Ordinal);
        var cliError = await File.ReadAllTextAsync(Path.Combine(work.Path, "cli.err"));
        var line = Assert.Single(cliError.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("edgemdm-edge: nothing was changed: the appliance's disk is full", line, StringComparison.Ordinal);
        Assert.Contains("after 200 ", output, StringComparison.Ordinal);
        Assert.Contains("ready-after 200", output, StringComparison.Ordinal);
        // Six refused writes, one warning, and no stack trace in the whole log.
        Assert.True(1 == log.Split('\n').Count(l => l.Contains("storage", StringComparison.OrdinalIgnoreCase) && l.Contains("warn", StringComparison.Ordinal)), log);
        Assert.DoesNotContain("fail:", log, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
    }
}
