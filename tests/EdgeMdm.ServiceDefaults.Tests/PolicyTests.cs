using System.Net;
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
            app.MapPost("/json-only", (HttpRequest _) => "served").AllowAnonymous().Accepts<string>("application/json");
        });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Endpoint_without_a_declared_policy_is_refused_with_a_problem()
    {
        var response = await _app.GetAsync("/forgotten");

        await ProblemAssert.IsProblemAsync(response, StatusCodes.Status401Unauthorized);
    }

    [Theory]
    [InlineData("/operators")]
    [InlineData("/signed-in")]
    public async Task Endpoint_with_a_policy_refuses_an_anonymous_caller(string path)
    {
        var response = await _app.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Endpoint_declared_anonymous_is_served()
    {
        var response = await _app.GetAsync("/open");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("served", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Routing_s_own_answers_pass_the_fallback_a_wrong_method_is_405_and_a_wrong_content_type_415()
    {
        // Routing answers with endpoints of its own, which declare nothing: the fallback must not turn them into 401.
        var method = await _app.GetAsync("/json-only");
        var contentType = await _app.PostAsync("/json-only", new StringContent("a=1", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, method.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, contentType.StatusCode);
    }

    [Fact]
    public async Task Unknown_path_is_404_not_a_credential_refusal()
    {
        var response = await _app.GetAsync("/no-such-thing");

        await ProblemAssert.IsProblemAsync(response, StatusCodes.Status404NotFound);
    }

    [Fact]
    public async Task Hosts_own_problem_has_the_same_shape()
    {
        var response = await _app.GetAsync("/conflict");

        await ProblemAssert.IsProblemAsync(response, StatusCodes.Status409Conflict);
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
        var first = await _app.GetAsync("/limited");
        var second = await _app.GetAsync("/limited");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await ProblemAssert.IsProblemAsync(second, StatusCodes.Status429TooManyRequests);
        var retryAfter = second.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    }
}
