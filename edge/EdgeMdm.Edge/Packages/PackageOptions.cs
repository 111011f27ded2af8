using System.Globalization;
using EdgeMdm.Edge.Options;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Packages;

/// <summary>The package cache, from section <c>Edge</c> (<c>--package-cache-bytes</c>, <c>--package-fetch-rate</c>).</summary>
public sealed class PackageOptions
{
    /// <summary>
    /// Disk the package cache may use, in bytes (8 GiB by default). Over it, the least recently used blobs that no
    /// blueprint names are evicted; a blob a blueprint names is kept even over the quota (the cache reports it).
    /// </summary>
    public long PackageCacheBytes { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary>
    /// Ceiling on how fast package blobs are fetched from the hub, in bytes per second (an LTE uplink in a vehicle
    /// shared with the sync); 0 lifts it.
    /// </summary>
    public long PackageFetchBytesPerSecond { get; set; }
}

internal sealed class PackageOptionsValidator : IValidateOptions<PackageOptions>
{
    public ValidateOptionsResult Validate(string? name, PackageOptions options)
    {
        var failures = new List<string>();
        if (options.PackageCacheBytes < 0)
            failures.Add($"Edge:PackageCacheBytes (--package-cache-bytes) must be 0 or more bytes, not {options.PackageCacheBytes.ToString(CultureInfo.InvariantCulture)}");
        if (options.PackageFetchBytesPerSecond < 0)
            failures.Add($"Edge:PackageFetchBytesPerSecond (--package-fetch-rate) must be 0 (no limit) or more bytes per second, not {options.PackageFetchBytesPerSecond.ToString(CultureInfo.InvariantCulture)}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static IServiceCollection Register(IServiceCollection services) =>
        services.AddValidatedOptions<PackageOptions, PackageOptionsValidator>(EdgeOptions.Section);
}
