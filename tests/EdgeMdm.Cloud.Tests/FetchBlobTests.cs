using System.Net.Http.Headers;
using System.Security.Cryptography;
using Grpc.Core;

namespace EdgeMdm.Cloud.Tests;

/// <summary><c>FetchBlob</c> through a real gRPC client on the real host: whole, resumed, refused.</summary>
public sealed class FetchBlobTests : HubPerTest
{
    private const int ChunkBytes = 64 * 1024;

    [Fact]
    public async Task A_whole_fetch_streams_the_file_in_64_KiB_chunks()
    {
        // Arrange: a size that does not end on a chunk boundary
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon DC");
        var (sha256, file) = await UploadAsync(Hub.Rest, 5 * ChunkBytes + 123);

        // Act
        var chunks = await Hub.Sync(site.Credential).FetchBlobAsync(sha256);

        // Assert
        Assert.Equal(file, chunks.SelectMany(c => c.Data.ToByteArray()).ToArray());
        Assert.Equal([ChunkBytes, ChunkBytes, ChunkBytes, ChunkBytes, ChunkBytes, 123], chunks.Select(c => c.Data.Length));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (ulong)(i * ChunkBytes)), chunks.Select(c => c.Offset));
        Assert.All(chunks, c => Assert.Equal((ulong)file.Length, c.TotalSize));
    }

    [Fact]
    public async Task A_fetch_cut_mid_blob_resumes_from_the_byte_reached()
    {
        // Arrange: a fetch that reads two chunks, then its stream is cut
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon DC");
        var (sha256, file) = await UploadAsync(Hub.Rest, 4 * ChunkBytes + 9);
        var sync = Hub.Sync(site.Credential);
        var received = new List<byte>();
        using (var cut = sync.StartFetchBlob(sha256))
        {
            for (var i = 0; i < 2 && await cut.ResponseStream.MoveNext(CancellationToken.None); i++)
                received.AddRange(cut.ResponseStream.Current.Data.ToByteArray());
        }

        // Act: resume at the byte reached, and once more from an odd offset, and from the very end
        var rest = await sync.FetchBlobAsync(sha256, (ulong)received.Count);
        var odd = await sync.FetchBlobAsync(sha256, 12345);
        var atEnd = await sync.FetchBlobAsync(sha256, (ulong)file.Length);

        // Assert
        Assert.Equal(2 * ChunkBytes, received.Count);
        Assert.Equal((ulong)received.Count, rest[0].Offset);
        Assert.Equal(file, received.Concat(rest.SelectMany(c => c.Data.ToByteArray())).ToArray());
        Assert.Equal(file.Skip(12345), odd.SelectMany(c => c.Data.ToByteArray()));
        Assert.Empty(atEnd);
    }

    [Fact]
    public async Task Another_tenants_blob_and_an_unknown_one_are_not_found_and_an_offset_past_the_end_is_out_of_range()
    {
        // Arrange: a blob of the default tenant; a site of Globex with the same bytes nowhere in its catalog
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon DC");
        var (sha256, file) = await UploadAsync(Hub.Rest, 1000);
        var globex = await Hub.Store.Tenants.AddTenantAsync("Globex");
        var globexSite = await Hub.Store.Sites.AddSiteAsync(globex.TenantId, "Their DC");

        // Act
        var foreign = await Assert.ThrowsAsync<RpcException>(() => Hub.Sync(globexSite.Credential).FetchBlobAsync(sha256));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Hub.Sync(site.Credential).FetchBlobAsync(new string('0', 64)));
        var notHex = await Assert.ThrowsAsync<RpcException>(() => Hub.Sync(site.Credential).FetchBlobAsync("../../cloud.db"));
        var pastEnd = await Assert.ThrowsAsync<RpcException>(() => Hub.Sync(site.Credential).FetchBlobAsync(sha256, (ulong)file.Length + 1));

        // Assert
        Assert.Equal((StatusCode.NotFound, StatusCode.NotFound, StatusCode.NotFound), (foreign.StatusCode, unknown.StatusCode, notHex.StatusCode));
        Assert.Equal(StatusCode.OutOfRange, pastEnd.StatusCode);
        Assert.Contains("1000 bytes", pastEnd.Status.Detail, StringComparison.Ordinal);
    }

    private static async Task<(string Sha256, byte[] File)> UploadAsync(HttpClient rest, int size)
    {
        var file = RandomNumberGenerator.GetBytes(size);
        using var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await rest.PostAsync(new Uri($"/api/v1/packages?packageName=com.acme.scan&versionCode={size}&versionName=1.0", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        return (Convert.ToHexStringLower(SHA256.HashData(file)), file);
    }
}
