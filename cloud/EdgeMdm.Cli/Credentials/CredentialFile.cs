using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeMdm.Cli.Credentials;

/// <summary>Where the CLI finds the hub and the API token it signs its calls with; <c>ExpiresAt</c> when the hub said (a sign-in, or a verified token).</summary>
public sealed record HubCredentials(string Server, string Token)
{
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>
/// The credential file <c>edgemdm login</c> writes: <c>{"server": URL, "token": T}</c>, readable by its owner
/// only (0600, in a 0700 directory). Written to a temporary file beside it and renamed over it, so a reader
/// never sees half a file and a failed write leaves the previous one intact.
/// </summary>
public static class CredentialFile
{
    /// <summary><c>~/.config/edgemdm/credentials.json</c>.</summary>
    public static string DefaultPath(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var home = environment("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".config", "edgemdm", "credentials.json");
    }

    /// <summary>The stored credentials, or null when there is no file. A file that cannot be read is an error.</summary>
    public static HubCredentials? Read(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read the credential file {path}: {exception.Message}");
        }

        try
        {
            var stored = JsonSerializer.Deserialize(json, CredentialJson.Default.StoredCredentials);
            if (string.IsNullOrWhiteSpace(stored?.Server) || string.IsNullOrWhiteSpace(stored.Token))
                throw new CliException($"the credential file {path} lacks server or token; run 'edgemdm login --server URL --token T' again");
            return new HubCredentials(stored.Server, stored.Token) { ExpiresAt = stored.ExpiresAt };
        }
        catch (JsonException)
        {
            throw new CliException($"the credential file {path} is not valid JSON; run 'edgemdm login --server URL --token T' again");
        }
    }

    public static void Write(string path, HubCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
                File.WriteAllBytes(temporary, Serialize(credentials));
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                var options = new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                };
                using (var stream = new FileStream(temporary, options))
                {
                    stream.Write(Serialize(credentials));
                    stream.Flush(flushToDisk: true);
                }
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new CliException($"cannot write the credential file {full}: {exception.Message}");
        }
    }

    private static byte[] Serialize(HubCredentials credentials) =>
        JsonSerializer.SerializeToUtf8Bytes(new StoredCredentials(credentials.Server, credentials.Token, credentials.ExpiresAt), CredentialJson.Default.StoredCredentials);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stray temporary file is harmless and named so it is easy to spot.
        }
    }
}

/// <summary>The file's fields; <c>ExpiresAt</c> is absent from files written before tokens expired, and from unverified tokens.</summary>
internal sealed record StoredCredentials(
    string? Server, string? Token, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? ExpiresAt = null);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(StoredCredentials))]
internal sealed partial class CredentialJson : JsonSerializerContext;
