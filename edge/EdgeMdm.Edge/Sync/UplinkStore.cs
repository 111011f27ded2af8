using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Telemetry;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Sync;

/// <summary>The uplink as last recorded by the sync worker, for operator commands in other processes.</summary>
public sealed record UplinkRecord(string? State, DateTimeOffset? LastContactAt);

/// <summary><c>sync_state</c>'s uplink columns: what the worker last knew of the hub.</summary>
public interface IUplinkStore
{
    Task RecordUplinkAsync(string state, DateTimeOffset? lastContactAt);

    UplinkRecord Uplink();
}

internal sealed class UplinkStore(EdgeStorage storage) : IUplinkStore
{
    public Task RecordUplinkAsync(string state, DateTimeOffset? lastContactAt) =>
        storage.WriteAsync(unit => unit.Db.Execute(
            "UPDATE sync_state SET uplink_state = ?, last_contact_at = coalesce(?, last_contact_at) WHERE id = 1",
            state, lastContactAt?.ToUnixTimeMilliseconds()));

    public UplinkRecord Uplink() =>
        storage.Read(db =>
        {
            var row = db.Query<UplinkRow>("SELECT uplink_state AS State, last_contact_at AS LastContactAt FROM sync_state WHERE id = 1").Single();
            return new UplinkRecord(row.State, row.LastContactAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null);
        });

    private sealed class UplinkRow
    {
        public string? State { get; set; }
        public long? LastContactAt { get; set; }
    }
}

public static class SyncRegistration
{
    /// <summary>The feed, the outbox as sync reads it, the uplink and the worker (which does nothing without a hub).</summary>
    public static IServiceCollection AddSync(this IServiceCollection services)
    {
        SyncOptionsValidator.Register(services);
        services.AddSingleton<IFeedStore, FeedApplier>();
        services.AddSingleton<IOutboxStore, SyncOutbox>();
        services.AddSingleton<IUplinkStore, UplinkStore>();
        services.AddSingletonServing<HubKeys>(typeof(IHubKeys), typeof(IFeedHandler));
        services.AddSingleton(sp => new HubTrust(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SyncOptions>>().Value.HubCaFile));
        services.AddSingleton(sp => new UplinkMonitor(
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SyncOptions>>().Value.HubUrl is not null));
        services.AddFeatureMetrics<SyncMetrics>();
        // Started after the seed, and never awaited by startup: devices are served before the hub is reached.
        services.AddHostedService<SyncWorker>();
        return services;
    }
}
