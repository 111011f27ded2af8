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
        ValidateMdns(options.Mdns, failures);
        failures.AddRange(options.Mqtt.Validate());
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateMdns(Discovery.MdnsOptions mdns, List<string> failures)
    {
        if (mdns.Interfaces.Any(string.IsNullOrWhiteSpace))
            failures.Add("Edge:Mdns:Interfaces must name interfaces (an empty name was given)");
        if (mdns.InstanceName is { } instance && (instance.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(instance) > 63))
            failures.Add($"Edge:Mdns:InstanceName must be 1 to 63 bytes of UTF-8, not '{instance}'");
        if (mdns.HostName is { } host && !System.Text.RegularExpressions.Regex.IsMatch(host, "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(1)))
            failures.Add($"Edge:Mdns:HostName must be one host label (letters, digits, inner hyphens; no '.local'), not '{host}'");
        if (!mdns.ApiBasePath.StartsWith('/') || mdns.ApiBasePath.Length > 200)
            failures.Add($"Edge:Mdns:ApiBasePath must be a path starting with '/', not '{mdns.ApiBasePath}'");
    }
}
