using System.Text.Json;

namespace EdgeMdm.ServiceDefaults.Tests;

/// <summary>The one error shape: an RFC 9457 body with status, title, the request's path as instance, and a trace id.</summary>
public static class ProblemAssert
{
    /// <returns>The body's root, for assertions on the detail.</returns>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, int status)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.Equal(response.RequestMessage!.RequestUri!.AbsolutePath, problem.GetProperty("instance").GetString());
        Assert.True(problem.TryGetProperty("traceId", out _));
        return problem;
    }
}
