using System.Globalization;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeMdm.Edge.Storage;

/// <summary>
/// Ready only while the appliance can keep what it acknowledges: its database file is there and writable, every
/// migration is applied, the writer takes work, and its last write did not fail for a full disk. (Free space above the
/// floor is a check of its own, <see cref="DiskSpaceHealthCheck"/>.)
/// </summary>
internal sealed class StorageHealthCheck(EdgeStorage storage) : IHealthCheck
{
    private static readonly TimeSpan WriterProbeTimeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var file = EdgeDatabase.PathIn(storage.DataDirectory);
        if (!File.Exists(file))
            return HealthCheckResult.Unhealthy($"the database {file} is gone: what the appliance writes now is lost when it restarts");
        // The running writer keeps its open handle, but the next start, or a new read connection, cannot write.
        if (File.GetAttributes(file).HasFlag(FileAttributes.ReadOnly))
            return HealthCheckResult.Unhealthy($"the database {file} is read-only");
        if (storage.Writer.StorageFullSince is > 0 and var since)
            return HealthCheckResult.Unhealthy($"the disk is full: writes fail since {new DateTimeOffset(since, TimeSpan.Zero):O}");
        if (!storage.Writer.IsRunning)
            return HealthCheckResult.Unhealthy("the database writer has stopped");

        var schema = storage.Read(EdgeDatabase.SchemaVersion);
        if (schema != Migrations.All.Count)
            return HealthCheckResult.Unhealthy($"the database schema is at version {schema.ToString(CultureInfo.InvariantCulture)}, this appliance needs {Migrations.All.Count.ToString(CultureInfo.InvariantCulture)}");

        // An empty unit goes through the same queue and transaction as a check-in, without writing a page.
        var probe = storage.WriteAsync(_ => true);
        if (await Task.WhenAny(probe, Task.Delay(WriterProbeTimeout, cancellationToken)) != probe)
            return HealthCheckResult.Unhealthy($"the database writer did not answer within {WriterProbeTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        await probe;
        return HealthCheckResult.Healthy($"schema version {schema.ToString(CultureInfo.InvariantCulture)}, writer answering");
    }
}
