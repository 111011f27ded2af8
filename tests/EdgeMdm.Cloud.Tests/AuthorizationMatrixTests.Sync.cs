using Grpc.Core;

namespace EdgeMdm.Cloud.Tests;

/// <summary>The sync service's part of the matrix: every <c>SiteSync</c> method, from the service's descriptor.</summary>
public sealed partial class AuthorizationMatrixTests
{
    [Fact]
    public async Task Every_sync_method_refuses_a_missing_or_unknown_site_credential_and_site_a_may_not_speak_for_site_b()
    {
        // Arrange: the methods as the service declares them, so a new one is covered without a change here
        var (lyon, lyonSync) = await Hub.AddSiteAsync("Lyon");
        var (paris, _) = await Hub.AddSiteAsync("Paris");
        var methods = SiteSync.Descriptor.Methods;
        var mapped = Routes().Where(IsSync).Select(e => e.RoutePattern.RawText!).ToList();

        // Act
        List<(string, StatusCode, StatusCode)> answers = [];
        foreach (var method in methods)
        {
            var fullName = $"/{SiteSync.Descriptor.FullName}/{method.Name}";
            answers.Add((method.Name, await RawCallAsync(method, fullName, credential: null), await RawCallAsync(method, fullName, "not-a-credential")));
        }

        var speakingForParis = await Assert.ThrowsAsync<RpcException>(async () => await lyonSync.Hello(paris.SiteId));
        var asItself = await lyonSync.Hello(lyon.SiteId);

        // Assert
        Assert.All(methods, m => Assert.Contains($"/{SiteSync.Descriptor.FullName}/{m.Name}", mapped));
        Assert.All(answers, a => Assert.Equal((a.Item1, StatusCode.Unauthenticated, StatusCode.Unauthenticated), a));
        Assert.Equal(StatusCode.PermissionDenied, speakingForParis.StatusCode);
        Assert.NotNull(asItself);
    }

    // ---- the sync service --------------------------------------------------------------------------------

    private static readonly Marshaller<byte[]> RawBytes = Marshallers.Create(bytes => bytes, bytes => bytes);

    /// <summary>Calls the method with an empty message (and, streaming, no more) and returns the status it ends with.</summary>
    private async Task<StatusCode> RawCallAsync(Google.Protobuf.Reflection.MethodDescriptor method, string fullName, string? credential)
    {
        var type = (method.IsClientStreaming, method.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var raw = new Method<byte[], byte[]>(type, SiteSync.Descriptor.FullName, method.Name, RawBytes, RawBytes);
        var headers = new Metadata();
        if (credential is not null)
            headers.Add("authorization", "Bearer " + credential);
        var options = new CallOptions(headers, deadline: DateTime.UtcNow.AddSeconds(30));
        var invoker = Hub.Channel.CreateCallInvoker();
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(raw, null, options, []);
                    break;
                case MethodType.ServerStreaming:
                    using (var call = invoker.AsyncServerStreamingCall(raw, null, options, []))
                        await DrainAsync(call.ResponseStream);
                    break;
                case MethodType.ClientStreaming:
                    using (var call = invoker.AsyncClientStreamingCall(raw, null, options))
                    {
                        await call.RequestStream.CompleteAsync();
                        await call.ResponseAsync;
                    }

                    break;
                default:
                    using (var call = invoker.AsyncDuplexStreamingCall(raw, null, options))
                    {
                        await call.RequestStream.CompleteAsync();
                        await DrainAsync(call.ResponseStream);
                    }

                    break;
            }
        }
        catch (RpcException exception)
        {
            return exception.StatusCode;
        }

        return StatusCode.OK;
    }

    private static async Task DrainAsync(IAsyncStreamReader<byte[]> responses)
    {
        while (await responses.MoveNext(CancellationToken.None))
        {
            // Anything answered without a credential is a failure the caller's assertion names.
        }
    }
}
