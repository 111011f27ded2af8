using System.Globalization;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeMdm.Cloud.Storage;

/// <summary>
/// Ready only while the hub's database answers a query within <see cref="Timeout"/> and holds every migration this hub
/// knows: one read transaction through <see cref="IHubDatabase"/>, so SQLite and PostgreSQL are checked alike. (Free
/// space is a check of its own, <c>DiskSpaceHealthCheck</c>, registered by the host.)
/// </summary>
internal sealed class HubDatabaseHealthCheck(IHubDatabase db, TimeProvider time) : IHealthCheck
{
    /// <summary>
    /// Longer than a healthy database ever takes for one indexed read; short enough that a probe every few seconds
    /// does not pile up behind a database that hangs.
    /// </summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var needed = Migrations.For(db.Backend).Count;
        long version;
        using var timeout = new CancellationTokenSource(Timeout, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // On a thread of its own, and waited for only until the deadline: SQLite's calls are synchronous and
            // do not look at the token.
            version = await Task.Run(() => SchemaVersionAsync(deadline.Token), deadline.Token).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the {db.Backend} database did not answer within {Seconds(Timeout)} s");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Whatever the backend throws (a refused connection, a missing table, a locked file) means the same here.
            // A store fault's message is its short reason; the probe is the operator's, so it says the backend's words too.
            var why = exception is StoreUnavailableException unavailable ? unavailable.Detail : exception.Message;
            return HealthCheckResult.Unhealthy($"the {db.Backend} database cannot be read: {why}");
        }

        return version == needed
            ? HealthCheckResult.Healthy($"{db.Backend}, schema version {Number(version)}")
            : HealthCheckResult.Unhealthy($"the {db.Backend} database's schema is at version {Number(version)}, this hub needs {Number(needed)}");
    }

    private async Task<long> SchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var row = await s.SingleOrDefaultAsync("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        return row?.Long(0) ?? 0;
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString(CultureInfo.InvariantCulture);
}
