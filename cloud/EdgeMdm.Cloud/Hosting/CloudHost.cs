using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Hosting;

/// <summary>The hub process: Kestrel with two endpoints (REST, gRPC over HTTP/2 only), the shared service defaults, the storage, the features.</summary>
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
        builder.AddServerLogging();
        configure?.Invoke(builder);

        var options = builder.AddHubOptions();
        HubSecretFiles.Require(options, builder.Configuration);
        builder.ListenOn(options);
        await builder.Services.AddHubStorageAsync(HubOptions.ConnectionStringFor(options.Database), cancellationToken);
        builder.AddHubDefaults(options);
        builder.Services.AddHubFeatures();
        builder.Services.AddHubApi();
        builder.Services.AddConsole();
        builder.Services.AddSiteSyncService();

        var app = builder.Build();
        try
        {
            await app.Services.StartPackagesAsync(cancellationToken);
            await app.Services.StartCatalogAsync(cancellationToken);
            await app.Services.StartSitesAsync(cancellationToken);
            await app.Services.StartAccountsAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        if (string.IsNullOrWhiteSpace(options.BlobDirectory) && HubStorage.IsPostgres(HubOptions.ConnectionStringFor(options.Database)))
            Log.BlobDirectoryDefaulted(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CloudHost).FullName!), HubOptions.BlobDirectoryFor(options));
        app.MapDefaultEndpoints();
        app.MapSiteSync();
        app.UseAntiforgery();
        app.MapHubApi();
        app.MapConsole();
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
    /// TLS there is no ALPN to agree on HTTP/2 and an HTTP/1.1-capable cleartext endpoint never serves h2c. An https
    /// endpoint serves the certificate configured the framework's way (<c>Kestrel:Certificates:Default:Path</c> and
    /// <c>KeyPath</c>, or <c>--tls-cert</c>/<c>--tls-key</c>); one is required, so a hub never falls back to a
    /// developer certificate.
    /// </summary>
    private static void ListenOn(this WebApplicationBuilder builder, HubOptions options)
    {
        RequireCertificateForHttps(builder.Configuration, options);
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

    private static void RequireCertificateForHttps(ConfigurationManager configuration, HubOptions options)
    {
        var https = new[] { ("Cloud:RestUrl (--rest-url)", options.RestUrl), ("Cloud:GrpcUrl (--grpc-url)", options.GrpcUrl) }
            .Where(url => url.Item2.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
            .Select(url => url.Item1)
            .ToList();
        if (https.Count == 0)
            return;
        var failures = new List<string>();
        var certificate = configuration[HubOptions.CertificatePathKey];
        if (string.IsNullOrWhiteSpace(certificate))
            failures.Add($"{string.Join(" and ", https)} is https: give the hub's certificate with --tls-cert FILE --tls-key FILE ({HubOptions.CertificatePathKey}, {HubOptions.CertificateKeyPathKey})");
        else if (!File.Exists(certificate))
            failures.Add($"{HubOptions.CertificatePathKey} (--tls-cert): no file {certificate}");
        if (configuration[HubOptions.CertificateKeyPathKey] is { Length: > 0 } key && !File.Exists(key))
            failures.Add($"{HubOptions.CertificateKeyPathKey} (--tls-key): no file {key}");
        if (failures.Count > 0)
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(HubOptions), failures);
    }
}
