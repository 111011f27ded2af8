using System.Buffers;
using System.Security.Cryptography;
using EdgeMdm.Domain.Packages;
using EdgeMdm.ServiceDefaults.Durability;

namespace EdgeMdm.Cloud.Packages;

/// <summary>
/// Package files, content-addressed by SHA-256. Streaming only: nothing here ever holds a whole blob in memory.
/// A blob is either absent or complete: it is written to a temp file, flushed to disk, then renamed to its name.
/// </summary>
public interface IBlobStore
{
    /// <summary>
    /// Copies <paramref name="content"/> to a temp file while hashing it. More than <paramref name="maxBytes"/>
    /// bytes throws <see cref="BlobTooLargeException"/> (the temp file is removed). Disposing the staged blob
    /// without <see cref="CommitAsync"/> removes it.
    /// </summary>
    Task<StagedBlob> StageAsync(Stream content, long maxBytes, CancellationToken cancellationToken = default);

    /// <summary>Moves a staged blob under its SHA-256; when a blob of that name exists (the same bytes), the staged copy is dropped.</summary>
    Task CommitAsync(StagedBlob staged, CancellationToken cancellationToken = default);

    /// <summary>The blob for sequential reading, or null when there is none by that name.</summary>
    FileStream? OpenRead(string sha256);
}

/// <summary>An upload on disk, hashed, not yet under its name.</summary>
public sealed class StagedBlob(string path, BlobDigest digest) : IDisposable
{
    public BlobDigest Digest { get; } = digest;

    internal string Path { get; } = path;

    internal bool Committed { get; set; }

    public void Dispose()
    {
        if (!Committed)
            File.Delete(Path);
    }
}

/// <summary>A body larger than the limit it was staged under.</summary>
public sealed class BlobTooLargeException : Exception
{
    public BlobTooLargeException() { }

    public BlobTooLargeException(string message) : base(message) { }

    public BlobTooLargeException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// Blobs as files named by their SHA-256 in one directory, temp files in its <c>tmp/</c> subdirectory (the same
/// file system, so the rename is atomic). Replicas may share the directory: two writers of the same bytes
/// rename identical files onto one name, which is harmless.
/// </summary>
public sealed class DirectoryBlobStore : IBlobStore
{
    private const int ChunkBytes = 81_920;
    private readonly string _directory;
    private readonly string _staging;

    public DirectoryBlobStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = Path.GetFullPath(directory);
        _staging = Path.Combine(_directory, "tmp");
        Directory.CreateDirectory(_staging);
    }

    public string DirectoryPath => _directory;

    public async Task<StagedBlob> StageAsync(Stream content, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = Path.Combine(_staging, Guid.NewGuid().ToString("N") + ".part");
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, ChunkBytes, FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                int read;
                while ((read = await content.ReadAsync(buffer.AsMemory(0, ChunkBytes), cancellationToken)) > 0)
                {
                    size += read;
                    if (size > maxBytes)
                        throw new BlobTooLargeException($"the file is larger than the limit of {maxBytes} bytes");
                    sha256.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                // On disk before it can be renamed into place: a crash never leaves a named blob with holes.
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }

            return new StagedBlob(path, new BlobDigest(Convert.ToHexStringLower(sha256.GetHashAndReset()), size));
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public Task CommitAsync(StagedBlob staged, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(staged);
        cancellationToken.ThrowIfCancellationRequested();
        var target = PathOf(staged.Digest.Sha256);
        if (File.Exists(target))
        {
            File.Delete(staged.Path);
        }
        else
        {
            // Overwrite: another replica may have renamed the same bytes in since the check; either copy is right.
            DurableFiles.MoveFile(staged.Path, target, overwrite: true);
        }

        staged.Committed = true;
        return Task.CompletedTask;
    }

    public FileStream? OpenRead(string sha256)
    {
        if (!PackageManifest.IsSha256Hex(sha256))
            return null;
        try
        {
            return new FileStream(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, ChunkBytes, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The file of a blob; the name is checked to be 64 lowercase hex characters, so it can never leave the directory.</summary>
    private string PathOf(string sha256) =>
        PackageManifest.IsSha256Hex(sha256) ? Path.Combine(_directory, sha256) : throw new ArgumentException("not a SHA-256 in lowercase hex", nameof(sha256));
}
