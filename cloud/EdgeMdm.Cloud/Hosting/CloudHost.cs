using EdgeMdm.Cloud.Api;
using EdgeMdm.Cloud.Options;
using EdgeMdm.Cloud.Packages;
using EdgeMdm.Cloud.Storage;
using EdgeMdm.Cloud.Sync;
using EdgeMdm.Domain.Packages;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Hosting;

/// <summary>The hub process: Kestrel with two endpoints (REST, gRPC over HTTP/2 only), the store, the services.</summary>
public static class CloudHost
{
    /// <summary>
    /// Builds the hub from <paramref name="args"/> (and appsettings.json, <c>EDGEMDM_</c> variables), opening and
    /// migrating its store. <paramref name="configure"/> lets tests add settings before they are read. Throws
    /// <see cref="OptionsValidationException"/> for invalid settings.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables(HubOptions.EnvironmentPrefix);
        builder.Configuration.AddCommandLine(args, HubOptions.SwitchMappings.ToDictionary(StringComparer.Ordinal));
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        });
        configure?.Invoke(builder);

        var options = builder.AddHubOptions();
        builder.ListenOn(options);
        await builder.Services.AddHubStoreAsync(options, cancellationToken);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Api.SignInThrottles>();
        builder.Services.AddProblemDetails();
        builder.Services.AddGrpc().AddServiceOptions<SiteSyncService>(grpc =>
        {
            grpc.Interceptors.Add<SiteAuthInterceptor>();
            // Compress what the hub sends when the site accepts gzip (grpc-accept-encoding); gzip requests are
            // accepted because gzip is among the default CompressionProviders.
            grpc.ResponseCompressionAlgorithm = "gzip";
            grpc.ResponseCompressionLevel = System.IO.Compression.CompressionLevel.Fastest;
        });

        var app = builder.Build();
        if (string.IsNullOrWhiteSpace(options.BlobDirectory) && HubStore.IsPostgres(HubOptions.ConnectionStringFor(options.Database)))
            Log.BlobDirectoryDefaulted(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CloudHost).FullName!), HubOptions.BlobDirectoryFor(options));
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapGet("/healthz", () => TypedResults.Text("ok\n"));
        app.MapGrpcService<SiteSyncService>();
        app.MapAdminApi();
        return app;
    }

    /// <summary>Binds and checks the settings now, because the endpoints and the store depend on them.</summary>
    private static HubOptions AddHubOptions(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HubOptions>, HubOptionsValidator>();
        var options = builder.Configuration.GetSection(HubOptions.Section).Get<HubOptions>() ?? new HubOptions();
        var result = new HubOptionsValidator().Validate(Microsoft.Extensions.Options.Options.DefaultName, options);
        if (result.Failed)
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(HubOptions), result.Failures);
        return options;
    }

    /// <summary>
    /// Two endpoints: REST speaks HTTP/1.1 and, over https, HTTP/2; gRPC speaks HTTP/2 only, because without
    /// TLS there is no ALPN to agree on HTTP/2 and an HTTP/1.1-capable cleartext endpoint never serves h2c.
    /// </summary>
    private static void ListenOn(this WebApplicationBuilder builder, HubOptions options)
    {
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Kestrel:Endpoints:Rest:Url"] = options.RestUrl,
            // Kestrel warns at start about HTTP/2 on a cleartext HTTP/1.1 endpoint, and would not serve it anyway.
            ["Kestrel:Endpoints:Rest:Protocols"] = options.RestUrl.StartsWith("https:", StringComparison.OrdinalIgnoreCase)
                ? nameof(HttpProtocols.Http1AndHttp2)
                : nameof(HttpProtocols.Http1),
            ["Kestrel:Endpoints:Grpc:Url"] = options.GrpcUrl,
            ["Kestrel:Endpoints:Grpc:Protocols"] = nameof(HttpProtocols.Http2),
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = HubOptions.MaxRestBodyBytes;
        });
    }

    private static async Task AddHubStoreAsync(this IServiceCollection services, HubOptions options, CancellationToken cancellationToken)
    {
        var store = await HubStore.OpenAsync(HubOptions.ConnectionStringFor(options.Database), TimeProvider.System, cancellationToken);

        // Registered through a factory so that the container owns it and disposes it with the host.
        services.AddSingleton(_ => store);
        services.AddSingleton<IHubStore>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<ISiteRegistry>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<IUpstreamStore>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<IFeedStore>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<ICatalogStore>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<IFleetReadStore>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<IAdminTokens>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<ITenantStore>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<IAccountStore>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<ISiteUserStore>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<ISigningKeyStore>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<IPackageStore>(sp => sp.GetRequiredService<SqlHubStore>());
        services.AddSingleton<IRolloutStore>(sp => sp.GetRequiredService<SqlHubStore>());

        // The key exists before the first request: created here on the very first start (once, even with
        // replicas starting together), read back on every later one.
        var signer = ManifestSigner.FromPkcs8Pem(await store.EnsureSigningKeyAsync(cancellationToken));
        services.AddSingleton(_ => new PackageSigning(signer));
        var blobs = new DirectoryBlobStore(HubOptions.BlobDirectoryFor(options));
        services.AddSingleton<IBlobStore>(blobs);
    }
}
