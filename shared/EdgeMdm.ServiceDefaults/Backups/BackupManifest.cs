using System.Text.Json.Serialization;

namespace EdgeMdm.ServiceDefaults.Backups;

/// <summary>
/// What a backup archive says of itself, written as its last entry (<see cref="DataArchive.ManifestName"/>) once every
/// file was hashed while it was written: <paramref name="Format"/> and <paramref name="FormatVersion"/> (which reader can
/// read it), <paramref name="Kind"/> (<c>site</c> for an appliance, <c>hub</c> for a SQLite hub: one is never restored as
/// the other), the program and schema versions that made it, the site it is (null for a hub), when, and each file with its
/// length and SHA-256, which restore checks before anything is put in place.
/// </summary>
public sealed record BackupManifest(
    string Format,
    int FormatVersion,
    string Kind,
    string ProgramVersion,
    long SchemaVersion,
    string? SiteId,
    DateTimeOffset CreatedAt,
    IReadOnlyList<BackupFile> Files);

/// <summary>One file of an archive: its path inside the data directory ('/' between names), length and lowercase hex SHA-256.</summary>
public sealed record BackupFile(string Path, long Length, string Sha256);

/// <summary>What the program making a backup says about it; the files are the archive's to list.</summary>
public sealed record BackupHeader(string Kind, string ProgramVersion, long SchemaVersion, string? SiteId, DateTimeOffset CreatedAt);

/// <summary>An archive that cannot be made or restored as asked; the message is the one line an operator reads.</summary>
public sealed class BackupRefusedException : Exception
{
    public BackupRefusedException()
    {
    }

    public BackupRefusedException(string message)
        : base(message)
    {
    }

    public BackupRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(BackupManifest))]
internal sealed partial class BackupJson : JsonSerializerContext;
