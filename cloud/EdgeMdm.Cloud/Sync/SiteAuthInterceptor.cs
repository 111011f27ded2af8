using EdgeMdm.Cloud.Sites;
using EdgeMdm.Contracts.Sync;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// The one place the sync service authenticates and authorises: every call must carry
/// <c>authorization: Bearer &lt;site credential&gt;</c> (UNAUTHENTICATED otherwise), and the site it names is
/// the only one the call may touch. A <see cref="HelloRequest"/> naming another site is PERMISSION_DENIED; an
/// empty <c>site_id</c> means "whichever site my credential is", and the reply tells it. Push and Pull carry
/// no site id: they act on the credential's site, so they cannot reach another one.
/// </summary>
internal sealed class SiteAuthInterceptor(ISiteRegistry sites, ILogger<SiteAuthInterceptor> logger) : Interceptor
{
    private const string SiteKey = "edgemdm.site";

    /// <summary>The authenticated site of a call that went through this interceptor.</summary>
    public static string SiteOf(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.UserState.TryGetValue(SiteKey, out var site) && site is string id
            ? id
            : throw new InvalidOperationException("the call was not authenticated: is SiteAuthInterceptor registered for this service?");
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        await AuthenticateAsync(request, context);
        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        await AuthenticateAsync(request, context);
        await continuation(request, responseStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        await AuthenticateAsync<object?>(null, context);
        await continuation(requestStream, responseStream, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        await AuthenticateAsync<object?>(null, context);
        return await continuation(requestStream, context);
    }

    private async Task AuthenticateAsync<TRequest>(TRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var header = context.RequestHeaders.GetValue("authorization");
        const string Bearer = "Bearer ";
        if (header is null || !header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) || header.Length == Bearer.Length)
        {
            SyncLog.SiteUnauthenticated(logger, context.Method, context.Peer, "no bearer credential");
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the call needs 'authorization: Bearer <site credential>'"));
        }

        var site = await sites.AuthenticateSiteAsync(header[Bearer.Length..].Trim(), context.CancellationToken);
        if (site is null)
        {
            SyncLog.SiteUnauthenticated(logger, context.Method, context.Peer, "unknown credential");
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the site credential is not known to this hub"));
        }

        if (request is HelloRequest { SiteId.Length: > 0 } hello && !string.Equals(hello.SiteId, site, StringComparison.Ordinal))
        {
            SyncLog.SiteForbidden(logger, site, hello.SiteId);
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"the credential of site '{site}' asking for site '{hello.SiteId}'"));
        }

        context.UserState[SiteKey] = site;
    }
}
