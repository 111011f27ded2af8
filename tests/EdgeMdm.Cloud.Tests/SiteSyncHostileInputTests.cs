using EdgeMdm.Cloud.Sync;
using EdgeMdm.ServiceDefaults;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// What the sync endpoints do with callers that are not a well-behaved appliance: no credential, an unknown one,
/// bytes that are not the method's message (sent by an independent client whose marshaller writes raw bytes), and
/// methods the hub does not have.
/// </summary>
public sealed class SiteSyncHostileInputTests : HubPerTest
{
    private const string Service = "edgemdm.sync.v1.SiteSync";

    private static readonly Marshaller<byte[]> RawBytes = Marshallers.Create(bytes => bytes, bytes => bytes);

    public static TheoryData<string, byte[]> Garbage => new()
    {
        // Field 1, length-delimited, 100 bytes announced and 1 sent: truncated, whatever field 1 is in the message.
        { "Hello", [0x0A, 0x64, 0x01] },
        { "Push", [0x0A, 0x64, 0x01] },
        { "Pull", [0x0A, 0x64, 0x01] },
        { "FetchBlob", [0x0A, 0x64, 0x01] },
        // Tag 0, which no message has.
        { "Hello", [0x00, 0x01] },
        { "Push", [0x00, 0x01] },
        { "Pull", [0x00, 0x01] },
        { "FetchBlob", [0x00, 0x01] },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task A_message_protobuf_cannot_parse_is_invalid_argument_logged_once_as_a_warning(string method, byte[] garbage)
    {
        // Arrange
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig");

        // Act
        var refused = await CallAsync(method, garbage, site.Credential);

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith("the request is not a valid ", refused.Status.Detail, StringComparison.Ordinal);
        var warning = Assert.Single(Hub.Logs.Entries, e => e.EventId.Id == 2012);
        Assert.Equal((LogLevel.Warning, null), (warning.Level, warning.Exception));
        Assert.Contains($"/{Service}/{method} from dc-leipzig", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Hub.Logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Equal(0UL, await Hub.Store.Upstream.AppliedThroughAsync(site.SiteId));
    }

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task Garbage_without_a_known_credential_is_unauthenticated_before_it_is_read(string method, byte[] garbage)
    {
        // Arrange
        await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig");

        // Act
        var anonymous = await CallAsync(method, garbage, credential: null);
        var unknown = await CallAsync(method, garbage, credential: "not-a-credential");

        // Assert
        Assert.Equal((StatusCode.Unauthenticated, StatusCode.Unauthenticated), (anonymous.StatusCode, unknown.StatusCode));
        Assert.Equal("the call needs 'authorization: Bearer <site credential>'", anonymous.Status.Detail);
        Assert.Equal("the site credential is not known to this hub", unknown.Status.Detail);
        Assert.DoesNotContain(Hub.Logs.Entries, e => e.EventId.Id == 2012);
        Assert.DoesNotContain(Hub.Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task An_unknown_method_or_service_is_unauthenticated_without_a_credential_and_unimplemented_with_one()
    {
        // Arrange
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig");

        // Act
        var method = await UnaryAsync($"/{Service}/Shutdown", [], site.Credential);
        var service = await UnaryAsync("/other.v1.Admin/Shutdown", [], site.Credential);
        var anonymousMethod = await UnaryAsync($"/{Service}/Shutdown", [], credential: null);
        var anonymousService = await UnaryAsync("/other.v1.Admin/Shutdown", [], credential: null);

        // Assert
        Assert.Equal((StatusCode.Unimplemented, StatusCode.Unimplemented), (method.StatusCode, service.StatusCode));
        Assert.Equal((StatusCode.Unauthenticated, StatusCode.Unauthenticated), (anonymousMethod.StatusCode, anonymousService.StatusCode));
    }

    [Fact]
    public void Every_grpc_endpoint_declares_the_site_policy()
    {
        // Act
        var grpc = ((Microsoft.AspNetCore.Routing.IEndpointRouteBuilder)Hub.App).DataSources.SelectMany(d => d.Endpoints)
            .Where(e => e.DisplayName?.StartsWith("gRPC - ", StringComparison.Ordinal) == true)
            .ToList();

        // Assert: the four methods and grpc-dotnet's catch-alls for unknown services and methods
        Assert.Equal(6, grpc.Count);
        Assert.Empty(EndpointPolicies.Unprotected(grpc));
        Assert.All(grpc, e => Assert.Contains(
            e.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>(),
            a => string.Equals(a.Policy, SiteCredential.Policy, StringComparison.Ordinal)));
    }

    // ---- an independent client: raw bytes as the request message -------------------------------------

    private static Method<byte[], byte[]> Raw(MethodType type, string fullName)
    {
        var slash = fullName.LastIndexOf('/');
        return new Method<byte[], byte[]>(type, fullName[1..slash], fullName[(slash + 1)..], RawBytes, RawBytes);
    }

    private static CallOptions Options(string? credential)
    {
        var headers = new Metadata();
        if (credential is not null)
            headers.Add("authorization", $"Bearer {credential}");
        return new CallOptions(headers, deadline: DateTime.UtcNow.AddSeconds(30));
    }

    [Fact]
    public async Task A_message_over_the_receive_limit_is_resource_exhausted_and_nothing_is_applied()
    {
        // Arrange: a Hello whose site id alone is past the limit
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig");
        var hello = new EdgeMdm.Contracts.Sync.HelloRequest { SiteId = new string('x', SyncServices.MaxReceiveMessageBytes + 1) };

        // Act
        var refused = await CallAsync("Hello", Google.Protobuf.MessageExtensions.ToByteArray(hello), site.Credential);

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.DoesNotContain(Hub.Logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Equal(0UL, await Hub.Store.Upstream.AppliedThroughAsync(site.SiteId));
    }

    private Task<RpcException> CallAsync(string method, byte[] body, string? credential) => method switch
    {
        "Hello" => UnaryAsync($"/{Service}/Hello", body, credential),
        "Push" => Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = Hub.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(Raw(MethodType.DuplexStreaming, $"/{Service}/Push"), null, Options(credential));
            await call.RequestStream.WriteAsync(body);
            await call.RequestStream.CompleteAsync();
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                // An acknowledgement would mean the hub took the bytes for a batch.
                Assert.Fail("the hub acknowledged bytes that are no batch");
            }
        }),
        _ => Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = Hub.Channel.CreateCallInvoker().AsyncServerStreamingCall(Raw(MethodType.ServerStreaming, $"/{Service}/{method}"), null, Options(credential), body);
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                // Nothing may come back for a request the hub could not read.
            }
        }),
    };

    private Task<RpcException> UnaryAsync(string fullName, byte[] body, string? credential) => Assert.ThrowsAsync<RpcException>(async () =>
    {
        using var call = Hub.Channel.CreateCallInvoker().AsyncUnaryCall(Raw(MethodType.Unary, fullName), null, Options(credential), body);
        await call;
    });
}
