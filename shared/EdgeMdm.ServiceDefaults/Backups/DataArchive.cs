using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using EdgeMdm.ServiceDefaults.Durability;
using EdgeMdm.ServiceDefaults.OwnerOnly;

namespace EdgeMdm.ServiceDefaults.Backups;

/// <summary>
/// A data directory as one file: a POSIX (pax) tar, uncompressed (packages and keys do not shrink, and a small board
/// should not spend its CPU on it), readable with <c>tar tf</c>. The files come first, each hashed as it is written; the
/// <see cref="BackupManifest"/> comes last, so the archive is written in one pass. The archive is written owner-only to a
/// temp file beside its destination and renamed over it once complete and flushed: a reader never sees half an archive.
/// A restore extracts into a new directory beside the target, checks every file against the manifest (and whatever the
/// caller checks), and only then renames it into place: a refused or interrupted restore leaves the target as it was.
/// </summary>
public static class DataArchive
{
    public const string ManifestName = "manifest.json";

    public const string Format = "edgemdm-backup";

    public const int FormatVersion = 1;

    /// <summary>
    /// Every file under <paramref name="directory"/> as (name inside the archive, full path), names '/'-separated and
    /// sorted, leaving out those <paramref name="leaveOut"/> says (given the name).
    /// </summary>
    public static IReadOnlyList<(string Name, string Source)> FilesIn(string directory, Func<string, bool> leaveOut)
    {
        ArgumentNullException.ThrowIfNull(leaveOut);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
            return [];
        return Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.None, IgnoreInaccessible = false })
            .Select(path => (Name: Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'), Source: path))
            .Where(file => !leaveOut(file.Name))
            .OrderBy(file => file.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Whether a name of <see cref="FilesIn"/> has a hidden part (a name starting with '.'): the temp files of atomic
    /// writes (<c>OwnerOnlyFiles.WriteAllText</c>'s, this class's own), never data.
    /// </summary>
    public static bool IsHidden(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.StartsWith('.') || name.Contains("/.", StringComparison.Ordinal);
    }

    /// <summary>
    /// Writes <paramref name="files"/> and then the manifest to <paramref name="archivePath"/>. A file that vanished since it
    /// was listed (a cached package evicted meanwhile) is left out, and so absent from the manifest too.
    /// </summary>
    public static BackupManifest Write(string archivePath, BackupHeader header, IEnumerable<(string Name, string Source)> files)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(files);
        var destination = Path.GetFullPath(archivePath);
        if (Directory.Exists(destination))
            throw new BackupRefusedException($"{destination} is a directory: name the archive file to write");
        var directory = Path.GetDirectoryName(destination)!;
        if (!Directory.Exists(directory))
            throw new BackupRefusedException($"cannot write {destination}: the directory {directory} does not exist");
        var temporary = Path.Combine(directory, "." + Path.GetFileName(destination) + ".partial-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            BackupManifest manifest;
            using (var archive = new FileStream(temporary, OwnerOnlyFiles.NewFile(FileMode.CreateNew)))
            {
                using (var tar = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
                {
                    var written = new List<BackupFile>();
                    foreach (var (name, source) in files)
                    {
                        if (WriteFile(tar, name, source) is { } file)
                            written.Add(file);
                    }

                    manifest = new BackupManifest(Format, FormatVersion, header.Kind, header.ProgramVersion, header.SchemaVersion, header.SiteId, header.CreatedAt, written);
                    var json = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest, BackupJson.Default.BackupManifest));
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, ManifestName) { DataStream = json, Mode = OwnerOnlyFiles.FileMode });
                }

                // On the disk before the name says it is complete: a power cut leaves the old archive or the new one.
                archive.Flush(flushToDisk: true);
            }

            DurableFiles.MoveFile(temporary, destination, overwrite: true);
            return manifest;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static BackupFile? WriteFile(TarWriter tar, string name, string source)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        using (stream)
        using (var hashing = new HashingReadStream(stream))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = hashing, Mode = OwnerOnlyFiles.FileMode });
            return new BackupFile(name, hashing.BytesRead, hashing.Sha256());
        }
    }

    /// <summary>
    /// Restores <paramref name="archivePath"/> (of <paramref name="kind"/>) as <paramref name="target"/>: refused when the
    /// target holds anything and <paramref name="replace"/> is false; extracted beside it and checked file by file, then by
    /// <paramref name="check"/> (given the extracted directory and the manifest; it throws
    /// <see cref="BackupRefusedException"/> to refuse and may prepare the files), and only then put in place. What the
    /// target held is deleted once the restored directory took its name.
    /// </summary>
    public static BackupManifest Restore(string archivePath, string kind, string target, bool replace, Action<string, BackupManifest> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        var archive = Path.GetFullPath(archivePath);
        var destination = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        if (!File.Exists(archive))
            throw new BackupRefusedException($"no archive {archive}");
        if (File.Exists(destination))
            throw new BackupRefusedException($"{destination} is a file, not a data directory");
        if (!replace && Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any())
            throw new BackupRefusedException($"{destination} is not empty: restoring would replace what it holds; add --force to replace it");
        var staged = Beside(destination, "restoring");
        try
        {
            OwnerOnlyFiles.CreateDirectory(staged);
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new BackupRefusedException($"cannot make {staged} beside the data directory (run restore as an account that may write {Path.GetDirectoryName(destination)}): {exception.Message}", exception);
        }

        try
        {
            var manifest = Extract(archive, kind, staged);
            check(staged, manifest);
            PutInPlace(staged, destination);
            return manifest;
        }
        finally
        {
            if (Directory.Exists(staged))
                Directory.Delete(staged, recursive: true);
        }
    }

    /// <summary>A new name in the target's parent directory, so both renames stay on one file system (atomic).</summary>
    private static string Beside(string path, string what) =>
        Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + "." + what + "-" + Guid.NewGuid().ToString("N")[..8]);

    private static void PutInPlace(string staged, string destination)
    {
        // Every extracted name on the disk before the directory takes its place (each file was fsynced as written).
        foreach (var directory in Directory.EnumerateDirectories(staged, "*", SearchOption.AllDirectories).Append(staged))
            DurableFiles.SyncDirectory(directory);
        if (!Directory.Exists(destination))
        {
            DurableFiles.MoveDirectory(staged, destination);
            return;
        }

        var replaced = Beside(destination, "replaced");
        Directory.Move(destination, replaced);
        try
        {
            DurableFiles.MoveDirectory(staged, destination);
        }
        catch
        {
            Directory.Move(replaced, destination);
            throw;
        }

        Directory.Delete(replaced, recursive: true);
    }

    private static BackupManifest Extract(string archive, string kind, string staged)
    {
        var name = Path.GetFileName(archive);
        var extracted = new Dictionary<string, BackupFile>(StringComparer.Ordinal);
        BackupManifest? manifest = null;
        try
        {
            using var stream = File.OpenRead(archive);
            using var tar = new TarReader(stream);
            while (tar.GetNextEntry() is { } entry)
            {
                if (manifest is not null)
                    throw new BackupRefusedException($"{name} is not an EdgeMdm backup: it goes on after its manifest");
                if (entry.EntryType is TarEntryType.Directory)
                    continue;
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                    throw new BackupRefusedException($"{name} is not an EdgeMdm backup: it holds {entry.Name}, which is not a plain file");
                if (string.Equals(entry.Name, ManifestName, StringComparison.Ordinal))
                    manifest = ReadManifest(name, entry.DataStream, kind);
                else
                    ExtractFile(name, entry, staged, extracted);
            }
        }
        catch (Exception exception) when (exception is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new BackupRefusedException($"{name} is damaged or not an EdgeMdm backup: {exception.Message}", exception);
        }

        if (manifest is null)
            throw new BackupRefusedException($"{name} is damaged or not an EdgeMdm backup: it ends without its manifest");
        Compare(name, manifest, extracted);
        return manifest;
    }

    private static BackupManifest ReadManifest(string name, Stream json, string kind)
    {
        BackupManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(json, BackupJson.Default.BackupManifest);
        }
        catch (JsonException exception)
        {
            throw new BackupRefusedException($"{name} is not an EdgeMdm backup: its manifest does not read ({exception.Message})", exception);
        }

        if (manifest is null || !string.Equals(manifest.Format, Format, StringComparison.Ordinal) || manifest.Files is null)
            throw new BackupRefusedException($"{name} is not an EdgeMdm backup");
        if (manifest.FormatVersion != FormatVersion)
            throw new BackupRefusedException($"{name} is a backup of format {manifest.FormatVersion}; this program reads format {FormatVersion}");
        if (!string.Equals(manifest.Kind, kind, StringComparison.Ordinal))
            throw new BackupRefusedException($"{name} is a backup of a {manifest.Kind}, not of a {kind}");
        return manifest;
    }

    private static void ExtractFile(string archiveName, TarEntry entry, string staged, Dictionary<string, BackupFile> extracted)
    {
        var relative = entry.Name;
        var path = Path.GetFullPath(Path.Combine(staged, relative));
        // A name that climbs out of the directory (../, an absolute path) is hostile, not damaged.
        if (Path.IsPathRooted(relative) || !path.StartsWith(staged + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new BackupRefusedException($"{archiveName} is not an EdgeMdm backup: it names {relative}, outside the data directory");
        if (extracted.ContainsKey(relative))
            throw new BackupRefusedException($"{archiveName} is damaged: it holds {relative} twice");
        OwnerOnlyFiles.CreateDirectory(Path.GetDirectoryName(path)!);
        using var hashing = new HashingReadStream(entry.DataStream!);
        using (var file = new FileStream(path, OwnerOnlyFiles.NewFile(FileMode.CreateNew)))
        {
            hashing.CopyTo(file);
            file.Flush(flushToDisk: true);
        }

        extracted[relative] = new BackupFile(relative, hashing.BytesRead, hashing.Sha256());
    }

    private static void Compare(string name, BackupManifest manifest, Dictionary<string, BackupFile> extracted)
    {
        foreach (var expected in manifest.Files)
        {
            if (!extracted.Remove(expected.Path, out var found))
                throw new BackupRefusedException($"{name} is damaged: {expected.Path} is missing");
            if (found.Length != expected.Length || !string.Equals(found.Sha256, expected.Sha256, StringComparison.Ordinal))
                throw new BackupRefusedException($"{name} is damaged: {expected.Path} does not match its SHA-256 in the manifest");
        }

        if (extracted.Count > 0)
            throw new BackupRefusedException($"{name} is damaged: {extracted.Keys.First()} is not in its manifest");
    }

    /// <summary>Reads through to the stream it wraps, hashing every byte read; the length is the source's, for the tar header.</summary>
    private sealed class HashingReadStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public long BytesRead { get; private set; }

        public string Sha256() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override bool CanRead => true;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => throw new NotSupportedException("a hashing stream is read once, in order");
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            _hash.AppendData(buffer[..read]);
            BytesRead += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a hashing stream is read once, in order");

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
