using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.ServiceDefaults.Tests;

/// <summary>A real Kestrel on a loopback port with the service defaults, the way a host adopts them.</summary>
public sealed class TestApp : IAsyncDisposable
{
    private TestApp(WebApplication app, CapturingLoggerProvider logs)
    {
        App = app;
        Logs = logs;
        BaseAddress = new Uri(app.Urls.Single());
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
    }

    public WebApplication App { get; }

    public CapturingLoggerProvider Logs { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public static async Task<TestApp> StartAsync(
        ServiceDefaultsOptions options,
        Action<WebApplicationBuilder> configure,
        Action<WebApplication> map)
    {
        var logs = new CapturingLoggerProvider();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Information);
        configure(builder);
        builder.AddServiceDefaults(options);

        var app = builder.Build();
        app.MapDefaultEndpoints();
        map(app);
        await app.StartAsync();
        return new TestApp(app, logs);
    }

    public Task<HttpResponseMessage> GetAsync(string path) => Client.GetAsync(new Uri(path, UriKind.Relative));

    public Task<HttpResponseMessage> PostAsync(string path, HttpContent? content = null) => Client.PostAsync(new Uri(path, UriKind.Relative), content);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
