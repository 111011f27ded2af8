using EdgeMdm.Contracts.Device;
using EdgeMdm.Edge.Api;
using EdgeMdm.Edge.Discovery;
using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.Rollouts;
using EdgeMdm.Edge.Seed;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Hosting;

/// <summary>The appliance process: Generic Host + Kestrel, the device API and the store.</summary>
public static class EdgeHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables(EdgeOptions.EnvironmentPrefix);
        builder.Configuration.AddCommandLine(args, EdgeOptions.SwitchMappings.ToDictionary(StringComparer.Ordinal));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = EdgeOptions.MaxRequestBodyBytes;
            // Lets a package download queue a few copy chunks ahead of the socket, so the transport sends in large
            // batches (64 KiB, the default, halves download throughput here); responses smaller than this, every
            // check-in, are unaffected. At most 1 MiB per downloading connection (docs/benchmarks.md).
            kestrel.Limits.MaxResponseBufferSize = EdgeOptions.ResponseBufferBytes;
            // Package downloads on plain HTTP/1.x are sent by the kernel from the file (sendfile), not copied.
            if (OperatingSystem.IsLinux())
            {
                var kernel = kestrel.ApplicationServices.GetRequiredService<KernelFileSender>();
                var counters = kestrel.ApplicationServices.GetRequiredService<DownloadCounters>();
                kestrel.ConfigureEndpointDefaults(listen => listen.UseKernelFileSending(kernel, counters, EdgeOptions.ResponseBufferBytes));
            }
        });
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        });

        builder.Services.AddEdgeOptions();
        builder.Services.AddEdgeStore();
        builder.Services.AddHubSync();
        builder.Services.AddPackageCache();
        builder.Services.AddMdnsDiscovery();
        builder.Services.AddMqtt(builder.Configuration);
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, DeviceProtocolJson.Default));
        builder.Services.AddSingleton(TimeProvider.System);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapGet("/healthz", () => TypedResults.Text("ok\n")).ExcludeFromDescription();
        app.MapDeviceApi();
        app.MapPackageDownloads();
        return app;
    }

    private static IServiceCollection AddEdgeOptions(this IServiceCollection services)
    {
        services.AddOptions<EdgeOptions>()
            .BindConfiguration(EdgeOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<EdgeOptions>, EdgeOptionsValidator>();
        return services;
    }

    private static IServiceCollection AddEdgeStore(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<EdgeOptions>>().Value;
            return SqliteEdgeStore.Open(Path.GetFullPath(options.DataDir), options.CheckinIntervalSeconds, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<IEdgeStore>(sp => sp.GetRequiredService<SqliteEdgeStore>());
        services.AddSingleton<IEnrollmentStore>(sp => sp.GetRequiredService<SqliteEdgeStore>());
        services.AddSingleton<ICheckinStore>(sp => sp.GetRequiredService<SqliteEdgeStore>());
        services.AddSingleton<IBlueprintStore>(sp => sp.GetRequiredService<SqliteEdgeStore>());
        services.AddSingleton<IOutboxStore>(sp => sp.GetRequiredService<SqliteEdgeStore>());
        services.AddSingleton<IFeedStore>(sp => sp.GetRequiredService<SqliteEdgeStore>());
        services.AddSingleton<IRolloutStore>(sp => sp.GetRequiredService<SqliteEdgeStore>());
        // Runs before Kestrel starts listening, so /healthz answers only once the schema is current and the
        // seed applied. Nothing here reaches beyond the machine: the appliance boots with no uplink.
        services.AddHostedService<SeedOnStart>();
        services.AddHostedService<RolloutRefresher>();
        return services;
    }

    private static IServiceCollection AddHubSync(this IServiceCollection services)
    {
        services.AddSingleton<IUplinkStore>(sp => sp.GetRequiredService<SqliteEdgeStore>());
        services.AddSingleton<ISiteUserDirectory>(sp => sp.GetRequiredService<SqliteEdgeStore>());
        services.AddSingleton(sp => new UplinkMonitor(
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<EdgeOptions>>().Value.HubUrl is not null));
        // Started after the seed, and never awaited by startup: devices are served before the hub is reached.
        services.AddHostedService<SyncWorker>();
        return services;
    }

    private static IServiceCollection AddPackageCache(this IServiceCollection services)
    {
        services.AddSingleton<IPackageCacheStore>(sp => sp.GetRequiredService<SqliteEdgeStore>());
        services.AddSingleton<BlobCache>();
        services.AddSingleton<DownloadCounters>();
        services.AddSingleton(_ => new BackgroundPriorityScheduler("package copier", Math.Max(2, Environment.ProcessorCount)));
        if (OperatingSystem.IsLinux())
            services.AddSingleton(_ => new KernelFileSender(Environment.ProcessorCount));
        services.AddHostedService<BlobCacheMaintenance>();
        // Does nothing without a hub; like the sync worker, never awaited by startup.
        services.AddHostedService<PackageFetcher>();
        return services;
    }

    private static IServiceCollection AddMdnsDiscovery(this IServiceCollection services)
    {
        services.AddSingleton<ISiteIdentityStore>(sp => sp.GetRequiredService<SqliteEdgeStore>());
        // Waits for Kestrel to listen (the advertised port is its real one); never delays startup.
        services.AddHostedService<MdnsResponderService>();
        return services;
    }

    private sealed class SeedOnStart(IBlueprintStore store, IOptions<EdgeOptions> options, TimeProvider clock, ILogger<SeedOnStart> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            if (options.Value.SeedFile is not { } path)
                return;
            var seed = SiteSeedLoader.Load(path);
            await store.ApplySeedAsync(seed, clock.GetUtcNow());
            Log.SeedApplied(logger, path, seed.Blueprints.Count, seed.Tokens.Count);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
