using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.DataProtection;

namespace EdgeMdm.Cloud.Hosting;

/// <summary>The shared service defaults as the hub takes them, and what the hub adds to them.</summary>
internal static class HubDefaults
{
    /// <summary>
    /// <c>AddServiceDefaults</c> with the hub's meter, then the hub's readiness checks for <c>/readyz</c> (its database
    /// answers and is migrated; free space above <see cref="HubOptions.StorageFloorBytes"/> where the SQLite file and
    /// the blobs live) and its Data Protection key ring in <see cref="HubOptions.KeysDirectoryFor"/>.
    /// </summary>
    public static WebApplicationBuilder AddHubDefaults(this WebApplicationBuilder builder, HubOptions options)
    {
        builder.AddServiceDefaults(new ServiceDefaultsOptions { Meters = [HubMetrics.MeterName] });
        var services = builder.Services;

        services.AddHubDataProtection(HubOptions.KeysDirectoryFor(options));

        var checks = services.AddHealthChecks()
            .AddCheck<HubDatabaseHealthCheck>("database", tags: [HealthTags.Ready])
            .AddCheck("blob-disk", new DiskSpaceHealthCheck(HubOptions.BlobDirectoryFor(options), options.StorageFloorBytes), tags: [HealthTags.Ready]);
        var connectionString = HubOptions.ConnectionStringFor(options.Database);
        if (!HubStorage.IsPostgres(connectionString))
            checks.AddCheck("database-disk", new DiskSpaceHealthCheck(HubOptions.SqliteDirectoryFor(connectionString), options.StorageFloorBytes), tags: [HealthTags.Ready]);

        return builder;
    }
}
