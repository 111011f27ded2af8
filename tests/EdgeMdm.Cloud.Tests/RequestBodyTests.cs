using System.Text;
using EdgeMdm.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// Request bodies the REST API must refuse in words: JSON that is not JSON or has a value of the wrong type, and
/// bodies Kestrel refuses while they arrive (a malformed chunk, a trickle), sent on a raw socket.
/// </summary>
// Kestrel's rate with a short grace (it must exceed the 1 s heartbeat), so a trickle is cut in about 3 s, not 6.
public sealed class RequestBodyTests() : HubPerTest(builder => builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(2))))
{
    /// <summary>Where Kestrel's refusals are tried: the sign-in, which takes no token, and an endpoint that needs one.</summary>
    public static TheoryData<string, bool> BodyEndpoints => new()
    {
        { "/api/v1/login", false },
        { "/api/v1/sites", true },
    };

    [Theory]
    [InlineData("/api/v1/sites", """{"name": 12}""", "name", "has a value of the wrong type (line 1, byte ")]
    [InlineData("/api/v1/sites", """{"name": ["a"]}""", "name", "has a value of the wrong type (line 1, byte ")]
    [InlineData("/api/v1/sites", """{"name": """, "name", "is not valid JSON (line 1, byte ")]
    [InlineData("/api/v1/sites", "not json", "body", "is not valid JSON (line 1, byte ")]
    [InlineData("/api/v1/sites", "", "body", "is not valid JSON (line 1, byte ")]
    [InlineData("/api/v1/sites", """{"name": "a"} {}""", "body", "is not valid JSON (line 1, byte ")]
    [InlineData("/api/v1/sites", "[1, 2]", "body", "must be a JSON object")]
    [InlineData("/api/v1/sites", "null", "body", "must be a JSON object")]
    [InlineData("/api/v1/sites", "\"could not be converted\"", "body", "must be a JSON object")]
    [InlineData("/api/v1/login", """{"user": "alice", "password": true}""", "password", "has a value of the wrong type (line 1, byte ")]
    public async Task A_body_that_is_not_json_or_has_a_wrong_type_is_400_naming_the_field(string path, string body, string field, string message)
    {
        // Act
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Hub.Rest.PostAsync(new Uri(path, UriKind.Relative), content);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var errors = problem["errors"]!.AsObject();
        Assert.Equal([field], errors.Select(e => e.Key));
        Assert.StartsWith(message, errors[field]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(path, problem["instance"]!.GetValue<string>()); // the defaults' one problem shape
    }

    [Fact]
    public async Task A_nested_value_of_the_wrong_type_is_named_by_its_json_path()
    {
        // Act
        using var content = new StringContent("""{"apps":[{"packageName":"a","versionCode":"x"}]}""", Encoding.UTF8, "application/json");
        using var response = await Hub.Rest.PutAsync(new Uri("/api/v1/blueprints/pickers", UriKind.Relative), content);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();
        Assert.StartsWith("has a value of the wrong type", errors["apps[0].versionCode"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_malformed_chunk_size_is_400_with_a_problem_and_one_warning_without_a_stack(string path, bool withToken)
    {
        // Arrange
        await using var raw = await RawHttp.ConnectAsync(Hub.Rest.BaseAddress!);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        // Act
        await raw.SendAsync(Head(path, withToken, "Transfer-Encoding: chunked") + "zz\r\n{\"user\":1}\r\n0\r\n\r\n");
        var response = await raw.ReadToEndAsync(timeout.Token);

        // Assert
        AssertProblemResponse(response, 400);
        AssertWarnedOnceWithoutStack(path, 400);
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_body_trickling_below_the_minimum_rate_is_408_with_a_problem_and_one_warning_without_a_stack(string path, bool withToken)
    {
        // Arrange
        await using var raw = await RawHttp.ConnectAsync(Hub.Rest.BaseAddress!);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Act: a byte every 2 s against a declared 100
        await raw.SendAsync(Head(path, withToken, "Content-Length: 100"));
        var response = await raw.TrickleUntilAnsweredAsync("{", TimeSpan.FromSeconds(2), timeout.Token);

        // Assert
        AssertProblemResponse(response, 408);
        AssertWarnedOnceWithoutStack(path, 408);
    }

    [Fact]
    public async Task A_sign_in_body_over_its_limit_is_413_before_it_is_read()
    {
        // Act
        using var content = new StringContent($$"""{"user":"alice","password":"{{new string('x', 8192)}}"}""", Encoding.UTF8, "application/json");
        using var anonymous = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        using var response = await anonymous.PostAsync(new Uri("/api/v1/login", UriKind.Relative), content);

        // Assert
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private string Head(string path, bool withToken, string bodyHeader)
    {
        var authorization = withToken ? $"Authorization: Bearer {Hub.Rest.DefaultRequestHeaders.Authorization!.Parameter}\r\n" : "";
        return $"POST {path} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n{authorization}{bodyHeader}\r\nConnection: close\r\n\r\n";
    }

    private static void AssertProblemResponse(string response, int status)
    {
        Assert.StartsWith($"HTTP/1.1 {status} ", response, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", response, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"\"status\":{status}", response, StringComparison.Ordinal);
    }

    private void AssertWarnedOnceWithoutStack(string path, int status)
    {
        var logs = Hub.Logs.Entries;
        Assert.DoesNotContain(logs, e => e.Level >= LogLevel.Error);
        Assert.DoesNotContain(logs, e => e.Exception is not null);
        Assert.Single(logs, e => e.Level == LogLevel.Warning && e.EventId.Id == 9000
            && e.Message.StartsWith($"POST {path} refused with {status}: ", StringComparison.Ordinal));
    }
}
