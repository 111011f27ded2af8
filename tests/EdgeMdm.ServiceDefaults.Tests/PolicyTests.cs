using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeMdm.ServiceDefaults.Tests;

public sealed class PolicyTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(
        new ServiceDefaultsOptions(),
        builder =>
        {
            // What a host adds to the defaults: its own policies, on the same registrations.
            builder.Services.AddAuthorizationBuilder().AddPolicy("operators", policy => policy.RequireRole("operator"));
            builder.Services.AddRateLimiter(limiter => limiter.AddFixedWindowLimiter("one-a-minute", window =>
            {
                window.PermitLimit = 1;
                window.Window = TimeSpan.FromMinutes(1);
                window.QueueLimit = 0;
            }));
        },
        app =>
        {
            app.MapGet("/forgotten", () => "served");
            app.MapGet("/open", () => "served").AllowAnonymous();
            app.MapGet("/conflict", () => TypedResults.Problem(statusCode: 409, title: "Conflict", detail: "already there")).AllowAnonymous();
            app.MapGet("/operators", () => "served").RequireAuthorization("operators");
            app.MapGet("/signed-in", () => "served").RequireAuthorization(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
            app.MapGet("/limited", () => "served").AllowAnonymous().RequireRateLimiting("one-a-minute");
        });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Endpoint_without_a_declared_policy_is_refused_with_a_problem()
    {
        var response = await _app.Client.GetAsync(new Uri("/forgotten", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertProblemAsync(response, 401);
    }

    [Theory]
    [InlineData("/operators")]
    [InlineData("/signed-in")]
    public async Task Endpoint_with_a_policy_refuses_an_anonymous_caller(string path)
    {
        var response = await _app.Client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Endpoint_declared_anonymous_is_served()
    {
        var response = await _app.Client.GetAsync(new Uri("/open", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("served", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_path_is_404_not_a_credential_refusal()
    {
        var response = await _app.Client.GetAsync(new Uri("/no-such-thing", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await AssertProblemAsync(response, 404);
    }

    [Fact]
    public async Task Hosts_own_problem_has_the_same_shape()
    {
        var response = await _app.Client.GetAsync(new Uri("/conflict", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        await AssertProblemAsync(response, 409);
    }

    [Fact]
    public void Unprotected_finds_only_the_endpoint_that_declared_nothing()
    {
        var unprotected = EndpointPolicies.Unprotected(_app.App);

        Assert.Equal(["GET /forgotten"], unprotected.Select(e => e.Description));
    }

    [Fact]
    public async Task Rate_limited_endpoint_answers_429_with_retry_after_and_a_problem()
    {
        var first = await _app.Client.GetAsync(new Uri("/limited", UriKind.Relative));
        var second = await _app.Client.GetAsync(new Uri("/limited", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal((HttpStatusCode)StatusCodes.Status429TooManyRequests, second.StatusCode);
        var retryAfter = second.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        await AssertProblemAsync(second, 429);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, int status)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
        Assert.Equal(response.RequestMessage!.RequestUri!.AbsolutePath, problem.RootElement.GetProperty("instance").GetString());
        Assert.True(problem.RootElement.TryGetProperty("traceId", out _));
    }
}
