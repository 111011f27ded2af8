using System.Security.Cryptography;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Domain.Tests.Packages;

public sealed class PackageBlobTests
{
    private static byte[] Content(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
            bytes[i] = (byte)(i * 31 % 251);
        return bytes;
    }

    private static PackageManifest ManifestOf(byte[] content) =>
        PackageManifestTests.Valid() with { Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)), SizeBytes = content.Length };

    [Fact]
    public async Task Measuring_a_stream_gives_its_sha256_and_length_across_many_chunks()
    {
        // Arrange: larger than several read chunks and not a multiple of one
        var content = Content(300_001);
        using var stream = new MemoryStream(content);

        // Act
        var digest = await PackageBlob.MeasureAsync(stream);

        // Assert
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), digest.Sha256);
        Assert.Equal(300_001, digest.SizeBytes);
    }

    [Fact]
    public async Task The_file_a_manifest_describes_matches()
    {
        // Arrange
        var content = Content(10_000);
        using var stream = new MemoryStream(content);

        // Act
        var check = await PackageBlob.CheckAsync(stream, ManifestOf(content));

        // Assert
        Assert.True(check.Matches);
        Assert.Equal(BlobMismatch.None, check.Mismatch);
    }

    [Fact]
    public async Task A_cut_download_is_a_size_mismatch()
    {
        // Arrange
        var content = Content(10_000);
        using var partial = new MemoryStream(content, 0, 9_000);

        // Act
        var check = await PackageBlob.CheckAsync(partial, ManifestOf(content));

        // Assert
        Assert.Equal(BlobMismatch.SizeMismatch, check.Mismatch);
        Assert.Equal(9_000, check.Actual.SizeBytes);
        Assert.False(check.Matches);
    }

    [Fact]
    public async Task Same_length_other_bytes_is_a_hash_mismatch()
    {
        // Arrange
        var content = Content(10_000);
        var tampered = (byte[])content.Clone();
        tampered[5_000] ^= 0xFF;
        using var stream = new MemoryStream(tampered);

        // Act
        var check = await PackageBlob.CheckAsync(stream, ManifestOf(content));

        // Assert
        Assert.Equal(BlobMismatch.HashMismatch, check.Mismatch);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(tampered)), check.Actual.Sha256);
    }

    [Fact]
    public void A_stored_digest_is_compared_without_reading_again()
    {
        // Arrange
        var content = Content(100);
        var manifest = ManifestOf(content);

        // Act / Assert
        Assert.True(PackageBlob.Compare(new BlobDigest(manifest.Sha256, 100), manifest).Matches);
        Assert.Equal(BlobMismatch.HashMismatch, PackageBlob.Compare(new BlobDigest(new string('0', 64), 100), manifest).Mismatch);
    }
}
