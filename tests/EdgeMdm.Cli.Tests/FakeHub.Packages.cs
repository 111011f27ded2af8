using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Staging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Cli.Tests;

// The catalog side of the fake hub: packages and their rollouts.
public sealed partial class FakeHub
{
    /// <summary>What GET /api/v1/rollouts answers, by package name (404 for the others); without a name, all of them by package.</summary>
    public ConcurrentDictionary<string, JsonArray> Rollouts { get; } = new(StringComparer.Ordinal);

    /// <summary>Answers to GET /api/v1/rollouts?packageName=… given one per request, before <see cref="Rollouts"/> (a rollout moving on, for --watch).</summary>
    public ConcurrentQueue<JsonArray> RolloutFrames { get; } = new();

    /// <summary>Published packages by SHA-256, as the CLI uploaded them (or a test put them).</summary>
    public ConcurrentDictionary<string, JsonObject> Packages { get; } = new(StringComparer.Ordinal);

    /// <summary>The content type of each package upload, in order.</summary>
    public ConcurrentQueue<string> UploadContentTypes { get; } = new();

    private void MapPackages(WebApplication app)
    {
        app.MapPost("/api/v1/packages", async (HttpContext http) =>
        {
            UploadContentTypes.Enqueue(http.Request.ContentType ?? "");
            var query = http.Request.Query;
            if (!long.TryParse(query["versionCode"], NumberStyles.None, CultureInfo.InvariantCulture, out var versionCode) || versionCode <= 0)
                return Results.ValidationProblem(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["versionCode"] = ["must be a positive number"] }, title: "Invalid request");
            using var sha256 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            var buffer = new byte[8192];
            long size = 0;
            int read;
            while ((read = await http.Request.Body.ReadAsync(buffer)) > 0)
            {
                sha256.AppendData(buffer, 0, read);
                size += read;
            }

            var sha = Convert.ToHexStringLower(sha256.GetHashAndReset());
            var packageName = query["packageName"].ToString();
            if (Packages.TryGetValue(sha, out var same))
                return Results.Json(same, statusCode: 200);
            if (Packages.Values.Any(p => string.Equals(p["packageName"]!.GetValue<string>(), packageName, StringComparison.Ordinal) && p["versionCode"]!.GetValue<long>() == versionCode))
                return Results.Problem(title: "Conflict", detail: $"{packageName} version {versionCode} is already published with other bytes", statusCode: 409);
            var package = new JsonObject
            {
                ["sha256"] = sha, ["packageName"] = packageName, ["versionCode"] = versionCode, ["versionName"] = query["versionName"].ToString(),
                ["sizeBytes"] = size, ["minOsVersion"] = query.ContainsKey("minOs") ? query["minOs"].ToString() : null,
                ["publishedAt"] = "2026-11-24T12:00:00+00:00", ["signature"] = "c2lnbmF0dXJl", ["keyId"] = new string('k', 64),
            };
            Packages[sha] = package;
            return Results.Json(package, statusCode: 201);
        });
        app.MapGet("/api/v1/packages", (string? packageName) => Results.Json(
            Packages.Values.Where(p => packageName is null || string.Equals(p["packageName"]!.GetValue<string>(), packageName, StringComparison.Ordinal)).ToList()));
    }

    private void MapRollouts(WebApplication app)
    {
        app.MapGet("/api/v1/rollouts", (string? packageName) =>
        {
            if (packageName is null)
            {
                var all = Rollouts.OrderBy(r => r.Key, StringComparer.Ordinal).SelectMany(r => r.Value.Select(n => n!.DeepClone())).ToArray();
                return Results.Text(new JsonArray(all).ToJsonString(), "application/json");
            }

            if (RolloutFrames.TryDequeue(out var frame))
                return Results.Text(frame.ToJsonString(), "application/json");
            return Rollouts.TryGetValue(packageName, out var answer)
                ? Results.Text(answer.ToJsonString(), "application/json")
                : Results.Problem(title: "Not found", detail: $"no group is rolling out '{packageName}'", statusCode: 404);
        });
    }
}
