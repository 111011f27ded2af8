using EdgeMdm.Contracts.Sync;
using EdgeMdm.ServiceDefaults;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// Answers a sync call that met a fault of the hub's store (<see cref="StoreFaults"/>) as "come back later", in one place
/// for every method: UNAVAILABLE while the database cannot serve (no pooled connection within the pool's wait, too many
/// connections, a restart, a lost connection), RESOURCE_EXHAUSTED while its disk is full; both with the wait in
/// <see cref="RetryHint"/>'s trailers, which the appliance waits out before its next round. Without it grpc-dotnet
/// answers the escaped exception with UNKNOWN ("Exception was thrown by handler", gRPC's 500) and an error line with a
/// stack trace per call. Anything else escapes as before: a bug is a bug.
/// </summary>
/// <remarks>
/// A push stream ends with the answer after the batches it acknowledged, which stay applied: each is its own
/// transaction, acknowledged only once committed. The wait is the configured one stretched by up to as much again, so
/// that the sites refused together in a burst do not all come back in the same second. One warning line at most per
/// interval (<see cref="WarningThrottle"/>), without a stack: a flood of refusals must not become a flood of log lines.
/// </remarks>
internal sealed class StoreFaultAnswers : Interceptor
{
    private readonly ServiceDefaultsOptions _options;
    private readonly ILogger<StoreFaultAnswers> _logger;
    private readonly WarningThrottle _warnings;

    public StoreFaultAnswers(ServiceDefaultsOptions options, TimeProvider time, ILogger<StoreFaultAnswers> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger;
        _warnings = new WarningThrottle(time, options.StoreUnavailableWarningInterval);
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return AnsweredAsync(() => continuation(request, context), context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return AnsweredAsync(() => continuation(requestStream, context), context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return AnsweredAsync(async () =>
        {
            await continuation(request, responseStream, context);
            return true;
        }, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return AnsweredAsync(async () =>
        {
            await continuation(requestStream, responseStream, context);
            return true;
        }, context);
    }

    /// <summary>
    /// The answer to a call from <paramref name="caller"/> (a site, or an address before its credential could be
    /// checked) that met <paramref name="fault"/>. Its message says only the store's fixed reason; the backend's own
    /// words go to the hub's log.
    /// </summary>
    public RpcException Refusal(Exception fault, string caller)
    {
        var (status, wait, reason, detail) = fault is StoreUnavailableException unavailable
            ? (StatusCode.Unavailable, Spread(_options.StoreUnavailableRetryAfter), $"the hub's database is unavailable right now ({unavailable.Message})", unavailable.Detail)
            : (StatusCode.ResourceExhausted, _options.StorageFullRetryAfter, "the hub's storage is full", fault.Message);
        if (_warnings.TryWarn(out var heldBack))
            SyncLog.StoreFault(_logger, caller, status.ToString(), detail, heldBack);
        return new RpcException(
            new Status(status, $"{reason}; this call did not complete, what the hub acknowledged stays applied; retry after {RetryHint.Seconds(wait)} s"),
            RetryHint.Trailers(wait));
    }

    private async Task<T> AnsweredAsync<T>(Func<Task<T>> call, ServerCallContext context)
    {
        try
        {
            return await call();
        }
        catch (Exception exception) when (StoreFaults.Of(exception) is { } fault)
        {
            throw Refusal(fault, SiteCredential.SiteOf(context));
        }
    }

    private static TimeSpan Spread(TimeSpan wait) => wait * (1 + Random.Shared.NextDouble());
}
