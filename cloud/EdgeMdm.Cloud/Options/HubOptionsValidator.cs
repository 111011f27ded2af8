using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Options;

/// <summary>Start-time checks of <see cref="HubOptions"/>, each failure naming the setting and its switch.</summary>
internal sealed class HubOptionsValidator : IValidateOptions<HubOptions>
{
    public ValidateOptionsResult Validate(string? name, HubOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Database))
            failures.Add("Cloud:Database (--database) must name a connection string or a directory");
        var rest = Url(failures, "Cloud:RestUrl (--rest-url)", options.RestUrl);
        var grpc = Url(failures, "Cloud:GrpcUrl (--grpc-url)", options.GrpcUrl);
        if (rest is not null && grpc is not null && rest.Port != 0 && rest.Port == grpc.Port
            && string.Equals(rest.Host, grpc.Host, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"Cloud:RestUrl (--rest-url) and Cloud:GrpcUrl (--grpc-url) must differ, both are {options.RestUrl}");
        }

        if (options.MaxPackageBytes < 1)
            failures.Add($"Cloud:MaxPackageBytes (--max-package-bytes) must be at least 1, not {options.MaxPackageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (options.RolloutOfflineAfter <= TimeSpan.Zero)
            failures.Add($"Cloud:RolloutOfflineAfter (--rollout-offline-after) must be more than 0 (hh:mm:ss, like 01:00:00), not {options.RolloutOfflineAfter.ToString("c", System.Globalization.CultureInfo.InvariantCulture)}");
        if (options.RolloutWatchInterval < TimeSpan.FromSeconds(1) || options.RolloutWatchInterval > TimeSpan.FromHours(1))
            failures.Add($"Cloud:RolloutWatchInterval (--rollout-watch-interval) must be between 00:00:01 and 01:00:00, not {options.RolloutWatchInterval.ToString("c", System.Globalization.CultureInfo.InvariantCulture)}");
        if (options.StorageFloorBytes < 0)
            failures.Add($"Cloud:StorageFloorBytes (--storage-floor-bytes) must be 0 or more, not {options.StorageFloorBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (options.DeviceStaleAfter <= TimeSpan.Zero)
            failures.Add($"Cloud:DeviceStaleAfter (--device-stale-after) must be more than 0 (hh:mm:ss, like 24:00:00), not {options.DeviceStaleAfter.ToString("c", System.Globalization.CultureInfo.InvariantCulture)}");
        if (options.BlobDirectory is { } blobs && blobs.Length > 0 && string.IsNullOrWhiteSpace(blobs))
            failures.Add("Cloud:BlobDirectory (--blob-directory) must name a directory or be left unset");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static Uri? Url(List<string> failures, string setting, string? value)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && string.Equals(uri.AbsolutePath, "/", StringComparison.Ordinal))
            return uri;
        failures.Add($"{setting} must be an http:// or https:// address with a port and no path, like http://127.0.0.1:9080, not '{value}'");
        return null;
    }
}
