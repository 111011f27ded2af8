using System.Threading.RateLimiting;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.ServiceDefaults;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// How many sync calls the hub takes (section <c>Cloud:Limits</c>, <c>EDGEMDM_Cloud__Limits__*</c>): a token bucket per
/// source address, taken before the site credential is looked up, and one per authenticated site. Each holds six
/// seconds' worth at once; 0 lifts a limit. A site makes three calls a round (Hello, Pull, Push) every few seconds,
/// and a catch-up streams inside one Pull and one Push, so the defaults are far above what a site asks even while it
/// fetches packages (one FetchBlob call each).
/// </summary>
public sealed class SyncLimitOptions
{
    public const string Section = "Cloud:Limits";

    /// <summary>
    /// Calls a second from one network address, whatever credential they carry: what a caller guessing site credentials
    /// (or flooding the service) can make the hub do. Sites behind one NAT share it. 50 by default.
    /// </summary>
    public int SyncCallsPerSecondPerAddress { get; set; } = 50;

    /// <summary>Calls a second from one site's credential, from anywhere. 10 by default.</summary>
    public int SyncCallsPerSecondPerSite { get; set; } = 10;

    internal sealed class Validator : IValidateOptions<SyncLimitOptions>
    {
        public ValidateOptionsResult Validate(string? name, SyncLimitOptions options)
        {
            var failures = new[]
            {
                RateLimits.ValidatePerSecond(Section + ":" + nameof(SyncCallsPerSecondPerAddress), options.SyncCallsPerSecondPerAddress),
                RateLimits.ValidatePerSecond(Section + ":" + nameof(SyncCallsPerSecondPerSite), options.SyncCallsPerSecondPerSite),
            }.Where(result => result.Failed).SelectMany(result => result.Failures ?? []).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}

/// <summary>
/// The per-address limit, a policy of ASP.NET Core's rate limiter on every gRPC endpoint (<see cref="SyncServices.MapSiteSync"/>).
/// The limiter middleware runs before authorization, which is where the site credential is looked up (the hub has no
/// default scheme), so calls with a wrong credential count here before they cost a lookup. A refusal is
/// RESOURCE_EXHAUSTED as a trailers-only answer, with the wait in <see cref="RetryHint"/>'s trailers.
/// </summary>
internal sealed class SyncAddressLimit(IOptions<SyncLimitOptions> options, SyncLimitRefusals refusals) : IRateLimiterPolicy<string>
{
    public const string Policy = "sync-address";

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => Refuse;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext) =>
        RateLimits.PerSecond(RateLimits.RemoteAddress(httpContext), options.Value.SyncCallsPerSecondPerAddress);

    private ValueTask Refuse(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var wait = SyncLimitRefusals.WaitOf(context.Lease);
        var address = RateLimits.RemoteAddress(context.HttpContext);
        refusals.Refused(SyncLimitRefusals.AddressLimit, address, wait);
        var response = context.HttpContext.Response;
        response.Headers[RetryHint.PushbackHeader] = RetryHint.Milliseconds(wait);
        response.Headers[RetryHint.RetryAfterHeader] = RetryHint.Seconds(wait);
        GrpcAnswers.TrailersOnly(response, StatusCode.ResourceExhausted,
            $"address {address} is over its limit of {options.Value.SyncCallsPerSecondPerAddress} sync calls a second; retry after {RetryHint.Seconds(wait)} s");
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The per-site limit: a gRPC interceptor on the sync service, so it runs once the call is authorized and its site
/// known (<see cref="SiteCredential.SiteOf"/>), with the same token buckets as the framework's policies
/// (<see cref="RateLimits.PerSecond"/>). It counts calls, not messages: a long Pull or Push stream is one.
/// </summary>
internal sealed class SiteCallLimit : Interceptor, IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly SyncLimitRefusals _refusals;
    private readonly int _perSecond;

    public SiteCallLimit(IOptions<SyncLimitOptions> options, SyncLimitRefusals refusals)
    {
        ArgumentNullException.ThrowIfNull(options);
        _refusals = refusals;
        _perSecond = options.Value.SyncCallsPerSecondPerSite;
        var perSecond = _perSecond;
        _limiter = PartitionedRateLimiter.Create<string, string>(site => RateLimits.PerSecond(site, perSecond));
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Admit(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Admit(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Admit(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Admit(context);
        return continuation(requestStream, responseStream, context);
    }

    public void Dispose() => _limiter.Dispose();

    /// <summary>Takes a token from the call's site, or throws RESOURCE_EXHAUSTED with the wait in its trailers.</summary>
    private void Admit(ServerCallContext context)
    {
        var site = SiteCredential.SiteOf(context);
        using var lease = _limiter.AttemptAcquire(site);
        if (lease.IsAcquired)
            return;
        var wait = SyncLimitRefusals.WaitOf(lease);
        _refusals.Refused(SyncLimitRefusals.SiteLimit, site, wait);
        throw new RpcException(
            new Status(StatusCode.ResourceExhausted, $"site '{site}' is over its limit of {_perSecond} sync calls a second; retry after {RetryHint.Seconds(wait)} s"),
            RetryHint.Trailers(wait));
    }
}

/// <summary>
/// What a refused sync call leaves behind: a count on <c>/metrics</c> by limit (<see cref="HubMetrics.SyncCallLimited"/>),
/// and a warning at most once a minute per limit, saying how many went unlogged since the last: a flood of refusals
/// must not become a flood of log lines (a disk and CPU sink of its own).
/// </summary>
internal sealed class SyncLimitRefusals(HubMetrics metrics, TimeProvider time, ILogger<SyncLimitRefusals> logger)
{
    public const string AddressLimit = "address";

    public const string SiteLimit = "site";

    private static readonly TimeSpan WarnEvery = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset At, long Unlogged)> _lastWarning = new(StringComparer.Ordinal);

    /// <summary>The wait the refused lease asks for; a limiter that cannot say is taken as one second.</summary>
    public static TimeSpan WaitOf(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);

    public void Refused(string limit, string caller, TimeSpan wait)
    {
        metrics.SyncCallLimited(limit);
        long unlogged;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_lastWarning.TryGetValue(limit, out var last) && now - last.At < WarnEvery)
            {
                _lastWarning[limit] = (last.At, last.Unlogged + 1);
                return;
            }

            unlogged = last.Unlogged;
            _lastWarning[limit] = (now, 0);
        }

        SyncLog.CallLimited(logger, caller, limit, RetryHint.Seconds(wait), unlogged);
    }
}
