using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// Binds sync.proto's <c>SiteSync</c> methods to <see cref="SiteSyncService"/> in place of grpc-dotnet's own binder,
/// for one difference: the request marshaller. The generated one throws <see cref="InvalidProtocolBufferException"/>
/// for bytes protobuf cannot parse, which grpc-dotnet answers with UNKNOWN and an error-level stack trace when it reads
/// the request before the service runs (Hello, Pull, FetchBlob), and which Push would take for a cut uplink (it is an
/// <see cref="IOException"/>). Here such a message is INVALID_ARGUMENT, logged once as a warning without a stack trace:
/// the caller's fault, not the hub's.
/// </summary>
/// <remarks>
/// The method descriptors (names, types, response marshallers) are the generated ones, taken from
/// <see cref="SiteSync.BindService(ServiceBinderBase, SiteSync.SiteSyncBase)"/>; a method sync.proto gains that the
/// service lacks stops the hub at start. The service does not derive from the generated base class, or grpc-dotnet
/// would bind its methods a second time.
/// </remarks>
internal sealed class SiteSyncMethods(IHttpContextAccessor http, ILogger<SiteSyncService> logger) : IServiceMethodProvider<SiteSyncService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<SiteSyncService> context) =>
        SiteSync.BindService(new Binder(context, this), serviceImpl: null);

    /// <summary>The generated method with a request marshaller that refuses what protobuf cannot parse.</summary>
    private Method<TRequest, TResponse> Checked<TRequest, TResponse>(Method<TRequest, TResponse> method)
    {
        var parse = method.RequestMarshaller.ContextualDeserializer;
        var request = new Marshaller<TRequest>(method.RequestMarshaller.ContextualSerializer, context =>
        {
            try
            {
                return parse(context);
            }
            catch (InvalidProtocolBufferException exception)
            {
                // The call passed authentication already (the authorization middleware runs before the message is read).
                var caller = http.HttpContext is { } call
                    ? call.User.FindFirst(SiteCredential.SiteIdClaim)?.Value ?? call.Connection.RemoteIpAddress?.ToString() ?? "unknown"
                    : "unknown";
                SyncLog.MalformedMessage(logger, method.FullName, caller, typeof(TRequest).Name, exception.Message);
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"the request is not a valid {typeof(TRequest).Name}: {exception.Message}"));
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, request, method.ResponseMarshaller);
    }

    /// <summary>The service's method named like the proto's, as the invoker grpc-dotnet calls on each call's service instance.</summary>
    private static TDelegate Invoker<TDelegate>(string name, params Type[] parameters)
        where TDelegate : Delegate
    {
        var method = typeof(SiteSyncService).GetMethod(name, parameters)
            ?? throw new InvalidOperationException($"{nameof(SiteSyncService)} has no {name}({string.Join(", ", parameters.Select(p => p.Name))}) for sync.proto's SiteSync.{name}");
        return method.CreateDelegate<TDelegate>();
    }

    // POST only, as grpc-dotnet's own binder declares: routing answers another HTTP method with 405.
    private static List<object> Metadata() => [new HttpMethodMetadata(["POST"], acceptCorsPreflight: true)];

    private sealed class Binder(ServiceMethodProviderContext<SiteSyncService> context, SiteSyncMethods methods) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(methods.Checked(method), Metadata(), Invoker<UnaryServerMethod<SiteSyncService, TRequest, TResponse>>(
                method.Name, typeof(TRequest), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(methods.Checked(method), Metadata(), Invoker<ServerStreamingServerMethod<SiteSyncService, TRequest, TResponse>>(
                method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(methods.Checked(method), Metadata(), Invoker<ClientStreamingServerMethod<SiteSyncService, TRequest, TResponse>>(
                method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(methods.Checked(method), Metadata(), Invoker<DuplexStreamingServerMethod<SiteSyncService, TRequest, TResponse>>(
                method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)));
    }
}
