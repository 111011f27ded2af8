using EdgeMdm.Domain.Security;

using EdgeMdm.Testing;

namespace EdgeMdm.Edge.Tests;

// The supervisor's rollouts page shows what the tracker judged.
public sealed partial class RolloutTests
{
    [Fact]
    public async Task The_rollouts_page_shows_each_wave_and_the_devices_by_state()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var (_, _, devices) = await RollingOutAsync(server, hub, HalfThenAll, 6, minOs: "13");
        await WaitForRolloutAsync(server, s => s.Counts.Pending == 6);
        using var viewer = await SupervisorPagesTests.SignedInAsync(server, "vic", SiteUserRoles.Viewer);

        // Act
        var page = await (await viewer.GetAsync("/rollouts")).Content.ReadAsStringAsync();

        // Assert
        Assert.Contains($"data-rollout=\"{RolloutId}\"", page, StringComparison.Ordinal);
        Assert.Contains("<strong>0 of 6</strong> installed · 6 pending", page, StringComparison.Ordinal);
        Assert.Contains("1 of 2 waves open", page, StringComparison.Ordinal);
        Assert.Equal(6, devices.Count);
    }
}
