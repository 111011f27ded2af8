using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// Unhealthy while the file system holding <paramref name="path"/> has less than <paramref name="floorBytes"/> free
/// (free to this process's user: root's reserved blocks do not count). A host tags it <see cref="HealthTags.Ready"/>
/// so that a full disk shows on <c>/readyz</c> with the figures, before writes start failing.
/// </summary>
/// <param name="path">A directory the host writes to; it need not exist yet (its nearest existing parent is measured).</param>
/// <param name="floorBytes">The least free space the host needs to keep working.</param>
public sealed class DiskSpaceHealthCheck(string path, long floorBytes) : IHealthCheck
{
    private const long MiB = 1024 * 1024;
    private const long GiB = 1024 * MiB;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        long free;
        try
        {
            // DriveInfo of any directory reports the file system it lives on (statvfs on Unix, its volume on Windows).
            free = new DriveInfo(NearestExisting(Path.GetFullPath(path))).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"free space on {path} cannot be read: {ex.Message}"));
        }

        return Task.FromResult(free < floorBytes
            ? HealthCheckResult.Unhealthy($"free space on {path} is {Size(free)}, below the {Size(floorBytes)} floor")
            : HealthCheckResult.Healthy($"free space on {path} is {Size(free)} (floor {Size(floorBytes)})"));
    }

    private static string NearestExisting(string directory)
    {
        var current = directory;
        while (!Directory.Exists(current) && Path.GetDirectoryName(current) is { } parent)
            current = parent;
        return current;
    }

    private static string Size(long bytes) => bytes >= 10 * GiB
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / GiB} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / MiB} MiB");
}
