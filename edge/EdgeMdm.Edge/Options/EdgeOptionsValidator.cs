using System.Globalization;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Options;

/// <summary>Start-time checks of <see cref="EdgeOptions"/>, each failure naming the setting and its switch.</summary>
internal sealed class EdgeOptionsValidator : IValidateOptions<EdgeOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDir))
            failures.Add("Edge:DataDir (--data-dir) must name a directory");
        if (options.CheckinIntervalSeconds is < 1 or > 86_400)
            failures.Add($"Edge:CheckinIntervalSeconds (--checkin-interval) must be between 1 and 86400, not {options.CheckinIntervalSeconds.ToString(CultureInfo.InvariantCulture)}");
        if (options.SeedFile is { } seed && !File.Exists(seed))
            failures.Add($"Edge:SeedFile (--seed) names '{seed}', which does not exist");
        if (options.HubUrl is { } hub)
        {
            if (!Uri.TryCreate(hub, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                failures.Add($"Edge:HubUrl (--hub) must be an http:// or https:// URL, not '{hub}'");
            if (string.IsNullOrWhiteSpace(options.SiteCredential))
                failures.Add("Edge:SiteCredential (--site-credential) is required when Edge:HubUrl is set");
        }

        if (options.SyncIntervalSeconds is < 1 or > 3_600)
            failures.Add($"Edge:SyncIntervalSeconds (--sync-interval) must be between 1 and 3600, not {options.SyncIntervalSeconds.ToString(CultureInfo.InvariantCulture)}");
        if (options.SyncRetryMaxSeconds is < 1 or > 3_600)
            failures.Add($"Edge:SyncRetryMaxSeconds (--sync-retry-max) must be between 1 and 3600, not {options.SyncRetryMaxSeconds.ToString(CultureInfo.InvariantCulture)}");
        if (options.SyncMaxChangesPerSecond is < 0 or > 1_000_000)
            failures.Add($"Edge:SyncMaxChangesPerSecond (--sync-max-rate) must be between 0 (no limit) and 1000000, not {options.SyncMaxChangesPerSecond.ToString(CultureInfo.InvariantCulture)}");
        if (options.PackageCacheBytes < 0)
            failures.Add($"Edge:PackageCacheBytes (--package-cache-bytes) must be 0 or more bytes, not {options.PackageCacheBytes.ToString(CultureInfo.InvariantCulture)}");
        if (options.PackageFetchBytesPerSecond < 0)
            failures.Add($"Edge:PackageFetchBytesPerSecond (--package-fetch-rate) must be 0 (no limit) or more bytes per second, not {options.PackageFetchBytesPerSecond.ToString(CultureInfo.InvariantCulture)}");
        failures.AddRange(options.Mqtt.Validate());
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
