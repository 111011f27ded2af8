using System.Buffers;
using System.Security.Cryptography;

namespace EdgeMdm.Domain.Packages;

/// <summary>The SHA-256 (lowercase hex) and exact size of a file's bytes: what it is stored under.</summary>
public sealed record BlobDigest(string Sha256, long SizeBytes);

/// <summary>Why a file is not the one a manifest describes; the size is checked first because it says more.</summary>
public enum BlobMismatch
{
    None,

    /// <summary>Not the manifest's length: usually a cut or partial download, worth fetching again.</summary>
    SizeMismatch,

    /// <summary>The right length but other bytes: corruption or tampering.</summary>
    HashMismatch,
}

/// <summary>The outcome of checking a file against a manifest, with what was actually read (for the log line).</summary>
public sealed record BlobCheck(BlobMismatch Mismatch, BlobDigest Actual)
{
    public bool Matches => Mismatch == BlobMismatch.None;
}

/// <summary>
/// Hashing package files as they stream past, in fixed-size chunks, so a 500 MB APK never sits in memory:
/// the hub measures an upload to name it, the site checks what it cached, the agent checks what it
/// downloaded before it installs. The only I/O in the domain, and only through the caller's stream.
/// </summary>
public static class PackageBlob
{
    private const int ChunkBytes = 81_920;

    /// <summary>Reads <paramref name="content"/> to its end and returns its SHA-256 and length. Does not rewind or dispose it.</summary>
    public static async Task<BlobDigest> MeasureAsync(Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long size = 0;
            int read;
            while ((read = await content.ReadAsync(buffer.AsMemory(0, ChunkBytes), cancellationToken)) > 0)
            {
                sha256.AppendData(buffer, 0, read);
                size += read;
            }

            return new BlobDigest(Convert.ToHexStringLower(sha256.GetHashAndReset()), size);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Streams <paramref name="content"/> and says whether it is exactly the file <paramref name="manifest"/> describes.</summary>
    public static async Task<BlobCheck> CheckAsync(Stream content, PackageManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var actual = await MeasureAsync(content, cancellationToken);
        return Compare(actual, manifest);
    }

    /// <summary>The pure half of <see cref="CheckAsync"/>, for a digest the caller already has (e.g. stored beside the blob).</summary>
    public static BlobCheck Compare(BlobDigest actual, PackageManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(manifest);
        if (actual.SizeBytes != manifest.SizeBytes)
            return new BlobCheck(BlobMismatch.SizeMismatch, actual);
        // Ordinal: both sides are lowercase hex, the only form a valid manifest holds.
        var same = string.Equals(actual.Sha256, manifest.Sha256, StringComparison.Ordinal);
        return new BlobCheck(same ? BlobMismatch.None : BlobMismatch.HashMismatch, actual);
    }
}
