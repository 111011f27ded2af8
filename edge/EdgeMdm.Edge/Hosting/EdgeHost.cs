using EdgeMdm.Contracts.Device;
using EdgeMdm.Edge.Cli;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.SiteTls;
using EdgeMdm.Edge.Telemetry;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Hosting;

/// <summary>The appliance process: Generic Host + Kestrel, the device API and every feature.</summary>
public static class EdgeHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables(EdgeOptions.EnvironmentPrefix);
        builder.Configuration.AddCommandLine(args, CommandLineSwitches.Mappings.ToDictionary(StringComparer.Ordinal));
        builder.UseSiteTlsListeners();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = EdgeOptions.MaxRequestBodyBytes;
            // Lets a package download queue a few copy chunks ahead of the socket, so the transport sends in large
            // batches (64 KiB, the default, halves download throughput here); responses smaller than this, every
            // check-in, are unaffected. At most 1 MiB per downloading connection (docs/benchmarks.md).
            kestrel.Limits.MaxResponseBufferSize = EdgeOptions.ResponseBufferBytes;
        });
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        });
        builder.AddServerLogging();

        builder.AddServiceDefaults(new ServiceDefaultsOptions { Meters = [EdgeMetrics.MeterName] });
        builder.Services.AddEdgeFeatures(builder.Configuration);
        builder.Services.AddOpenApi();
        // Where operator commands find this process for its live counters (DATA/serve.json).
        builder.Services.AddHostedService(sp => new RunningAppliance.Recorder(
            sp.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>(), sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetRequiredService<EdgeMdm.Edge.Storage.EdgeStorage>().DataDirectory,
            () => Discovery.ServiceAdvertisement.ServedPin(sp.GetRequiredService<IConfiguration>(), () => sp.GetRequiredService<SiteCertificates>().Pin)));
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, DeviceProtocolJson.Default));
        configure?.Invoke(builder);

        var app = builder.Build();
        try
        {
            SecretFiles.Require(app.Services);
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }

        app.UseSiteTlsRedirect();
        app.MapDefaultEndpoints();
        // After authorization: forms (the supervisor page's) need their anti-forgery token.
        app.UseAntiforgery();
        app.MapOpenApi().AllowAnonymous();
        app.MapFeatureEndpoints();
        return app;
    }
}
