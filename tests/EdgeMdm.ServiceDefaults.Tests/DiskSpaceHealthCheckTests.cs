using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeMdm.ServiceDefaults.Tests;

public sealed class DiskSpaceHealthCheckTests
{
    [Fact]
    public async Task Free_space_above_the_floor_is_healthy()
    {
        var result = await new DiskSpaceHealthCheck(Path.GetTempPath(), floorBytes: 0).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
    }

    [Fact]
    public async Task Free_space_below_the_floor_is_unhealthy_with_both_figures()
    {
        var dir = Path.GetTempPath().TrimEnd('/');

        var result = await new DiskSpaceHealthCheck(dir, floorBytes: 1L << 60).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Matches($"^free space on {dir} is [0-9]+ [MG]iB, below the 1073741824 GiB floor$", result.Description);
    }

    [Fact]
    public async Task Directory_not_yet_created_is_measured_on_its_nearest_parent()
    {
        var missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "data");

        var result = await new DiskSpaceHealthCheck(missing, floorBytes: 0).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.StartsWith($"free space on {missing} is ", result.Description, StringComparison.Ordinal);
    }
}
