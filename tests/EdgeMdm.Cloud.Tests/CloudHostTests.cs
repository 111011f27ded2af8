using EdgeMdm.Cloud.Hosting;
using EdgeMdm.Cloud.Options;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Tests;

public sealed class CloudHostTests
{
    [Fact]
    public async Task Invalid_settings_stop_the_hub_with_messages_naming_the_switch()
    {
        // Act
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            CloudHost.BuildAsync(["--rest-url", "localhost", "--grpc-url", "http://127.0.0.1:9081/sync", "--database", " ", "--storage-floor-bytes", "-1"]));

        // Assert
        Assert.Equal(4, failure.Failures.Count());
        Assert.Contains(failure.Failures, f => f.StartsWith("Cloud:RestUrl (--rest-url)", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Cloud:GrpcUrl (--grpc-url)", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Cloud:Database (--database)", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Cloud:StorageFloorBytes (--storage-floor-bytes)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Console_session_settings_out_of_range_stop_the_hub_at_start_naming_them()
    {
        // Act
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningHub.StartAsync("--Cloud:Web:IdleTimeout=00:00:01", "--Cloud:Web:LockoutFailures=1"));

        // Assert
        Assert.Contains(failure.Failures, f => f.StartsWith("Cloud:Web:IdleTimeout", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Cloud:Web:LockoutFailures", StringComparison.Ordinal));
    }

    [Fact]
    public void The_database_setting_is_a_connection_string_a_file_or_a_directory()
    {
        // Arrange
        using var parent = new TempDirectory("edgemdm-hub-");
        var directory = Path.Combine(parent.Path, "cloud");

        // Act
        var forDirectory = HubOptions.ConnectionStringFor(directory);

        // Assert
        Assert.Equal(directory + Path.DirectorySeparatorChar, forDirectory);
        Assert.True(Directory.Exists(directory));
        Assert.Equal("Host=db;Database=hub", HubOptions.ConnectionStringFor("Host=db;Database=hub"));
        Assert.Equal("Data Source=/x/hub.db", HubOptions.ConnectionStringFor("Data Source=/x/hub.db"));
        Assert.Equal("/x/hub.db", HubOptions.ConnectionStringFor("/x/hub.db"));
    }
}
