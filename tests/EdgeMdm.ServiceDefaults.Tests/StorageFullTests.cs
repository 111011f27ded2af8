using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.ServiceDefaults.Tests;

public sealed class StorageFullTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(
        new ServiceDefaultsOptions { StorageFullWarningInterval = TimeSpan.FromSeconds(30) },
        builder => builder.Services.AddSingleton<TimeProvider>(_time),
        app => app.MapPost("/write", string () => throw new InvalidOperationException(
            "the unit of work failed", new StorageFullException("no space left on device writing /data/edge.db-wal"))).AllowAnonymous());

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Full_storage_is_503_with_retry_after_and_one_warning_per_interval()
    {
        var first = await PostAsync();
        var second = await PostAsync();

        foreach (var response in new[] { first, second })
        {
            var problem = await ProblemAssert.IsProblemAsync(response, StatusCodes.Status503ServiceUnavailable);
            Assert.Contains("storage is full", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter?.Delta);
        }

        Assert.Single(Warnings());

        _time.Advance(TimeSpan.FromSeconds(31));
        await PostAsync();

        Assert.Equal(2, Warnings().Count);
        Assert.Contains("(1 more refused since the last warning)", Warnings()[1].Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_app.Logs.Entries, e => e.Level >= LogLevel.Error || e.Exception is not null);
    }

    private Task<HttpResponseMessage> PostAsync() => _app.PostAsync("/write");

    private List<LogEntry> Warnings() => [.. _app.Logs.Entries.Where(e => e.EventId.Id == 9001 && e.Level == LogLevel.Warning)];
}
