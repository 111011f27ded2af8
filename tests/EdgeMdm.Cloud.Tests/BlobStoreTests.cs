using System.Security.Cryptography;
using EdgeMdm.Cloud.Packages;

namespace EdgeMdm.Cloud.Tests;

public sealed class BlobStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new("edgemdm-blobs-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_staged_blob_is_invisible_until_committed_and_then_readable_under_its_sha256()
    {
        // Arrange
        var store = new DirectoryBlobStore(_directory.Path);
        var bytes = RandomNumberGenerator.GetBytes(200_000);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));

        // Act
        using var staged = await store.StageAsync(new MemoryStream(bytes), maxBytes: bytes.Length);
        var beforeCommit = store.OpenRead(sha256);
        await store.CommitAsync(staged);
        await using var afterCommit = store.OpenRead(sha256);

        // Assert
        Assert.Equal((sha256, (long)bytes.Length), (staged.Digest.Sha256, staged.Digest.SizeBytes));
        Assert.Null(beforeCommit);
        Assert.NotNull(afterCommit);
        using var copy = new MemoryStream();
        await afterCommit.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory.Path, "tmp")));
    }

    [Fact]
    public async Task An_upload_cut_midway_or_over_the_limit_leaves_no_file_at_all()
    {
        // Arrange
        var store = new DirectoryBlobStore(_directory.Path);

        // Act
        await Assert.ThrowsAsync<IOException>(() => store.StageAsync(new CutStream(RandomNumberGenerator.GetBytes(300_000), cutAfter: 150_000), maxBytes: 1_000_000));
        await Assert.ThrowsAsync<BlobTooLargeException>(() => store.StageAsync(new MemoryStream(new byte[1001]), maxBytes: 1000));

        // Assert
        Assert.Empty(Directory.GetFiles(_directory.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task The_same_bytes_committed_twice_are_one_blob_and_a_staged_blob_not_committed_is_removed()
    {
        // Arrange
        var store = new DirectoryBlobStore(_directory.Path);
        var bytes = RandomNumberGenerator.GetBytes(1000);

        // Act
        using (var first = await store.StageAsync(new MemoryStream(bytes), 1000))
        using (var second = await store.StageAsync(new MemoryStream(bytes), 1000))
        {
            await store.CommitAsync(first);
            await store.CommitAsync(second);
        }

        using (await store.StageAsync(new MemoryStream(RandomNumberGenerator.GetBytes(10)), 1000))
        {
            // dropped without a commit, as an upload the hub refused
        }

        // Assert
        Assert.Equal([Convert.ToHexStringLower(SHA256.HashData(bytes))], Directory.GetFiles(_directory.Path).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory.Path, "tmp")));
    }

    [Theory]
    [InlineData("../cloud.db")]
    [InlineData("ABCDEF0000000000000000000000000000000000000000000000000000000000")]
    [InlineData("")]
    public void A_name_that_is_not_a_lowercase_sha256_opens_nothing(string name)
    {
        // Arrange
        var store = new DirectoryBlobStore(_directory.Path);
        File.WriteAllText(Path.Combine(_directory.Path, "cloud.db"), "not a blob");

        // Act / Assert
        Assert.Null(store.OpenRead(name));
    }

    /// <summary>A body whose connection drops after <paramref name="cutAfter"/> bytes.</summary>
    private sealed class CutStream(byte[] bytes, int cutAfter) : MemoryStream(bytes)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= cutAfter)
                throw new IOException("the connection was reset");
            return await base.ReadAsync(buffer[..(int)Math.Min(buffer.Length, cutAfter - Position)], cancellationToken);
        }
    }
}
