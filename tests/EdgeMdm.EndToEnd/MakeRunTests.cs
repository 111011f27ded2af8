namespace EdgeMdm.EndToEnd;

/// <summary>What <c>make run</c> starts on a developer's machine.</summary>
public sealed class MakeRunTests
{
    [Fact]
    public async Task Make_run_announces_the_appliance_over_mdns_on_loopback_only()
    {
        // The appliance's own default serves every interface; on a developer's machine that would announce a demo on
        // the office network. make's dry run prints the command lines the target would run.
        var dryRun = await Processes.RunProgramAsync("make", ["-n", "-C", Processes.RepoRoot, "run"], TimeSpan.FromSeconds(30));

        Assert.Equal(0, dryRun.ExitCode);
        var serve = Assert.Single(dryRun.Stdout.Split('\n'), l => l.Contains("edgemdm-edge serve", StringComparison.Ordinal));
        Assert.Contains("EDGEMDM_Edge__Mdns__Interfaces__0=lo ", serve, StringComparison.Ordinal);
    }
}
