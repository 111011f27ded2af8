using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EdgeMdm.Cloud.Telemetry;

/// <summary>
/// The hub's own instruments, on its one meter <see cref="MeterName"/> (created through <see cref="IMeterFactory"/>, so
/// the container owns it), exported at <c>/metrics</c> beside ASP.NET Core's and the runtime's. A feature records
/// through the method named for what happened; names and units follow OpenTelemetry's conventions.
/// </summary>
public sealed class HubMetrics
{
    public const string MeterName = "EdgeMdm.Cloud";

    private readonly Counter<long> _changesApplied;
    private readonly Counter<long> _pushesRefused;
    private readonly Counter<long> _signIns;
    private readonly Counter<long> _syncCallsLimited;

    public HubMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _changesApplied = meter.CreateCounter<long>(
            "edgemdm.cloud.sync.changes_applied", "{change}",
            "Changes of the sites' logs the hub applied (a duplicate, or a change after a gap, is not applied).");
        _pushesRefused = meter.CreateCounter<long>(
            "edgemdm.cloud.sync.pushes_refused", "{push}",
            "Push streams the hub ended for a malformed batch (too many changes, a change without sequence or payload).");
        _signIns = meter.CreateCounter<long>(
            "edgemdm.cloud.sign_ins", "{sign_in}",
            "POST /api/v1/login calls that got a verdict, by result: signed_in; refused (unknown user or wrong password); limited (too many for the account).");
        _syncCallsLimited = meter.CreateCounter<long>(
            "edgemdm.cloud.sync.calls_limited", "{call}",
            "Sync calls refused RESOURCE_EXHAUSTED by a rate limit, by limit: address (per source address, before the credential is looked up); site (per authenticated site).");
    }

    /// <summary>A site's batch moved its log forward by <paramref name="count"/> changes.</summary>
    public void ChangesApplied(ulong count)
    {
        if (count > 0)
            _changesApplied.Add((long)count);
    }

    public void PushRefused() => _pushesRefused.Add(1);

    public void SignedIn() => SignIn("signed_in");

    public void SignInRefused() => SignIn("refused");

    public void SignInLimited() => SignIn("limited");

    /// <summary>A sync call was refused by the rate limit named <paramref name="limit"/> (<c>address</c> or <c>site</c>).</summary>
    public void SyncCallLimited(string limit) => _syncCallsLimited.Add(1, new KeyValuePair<string, object?>("limit", limit));

    private void SignIn(string result) => _signIns.Add(1, new KeyValuePair<string, object?>("result", result));
}

public static class HubMetricsRegistration
{
    /// <summary>
    /// <see cref="HubMetrics"/> and the meter factory it needs, for the hub and for any process that builds the feature
    /// stores over <see cref="Storage.HubStorage.OpenAsync"/> (where nothing is exported, and recording costs nothing).
    /// </summary>
    public static IServiceCollection AddHubMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<HubMetrics>();
        return services;
    }
}
