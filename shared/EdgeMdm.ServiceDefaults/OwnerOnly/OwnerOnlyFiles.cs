using System.Globalization;
using System.Text;
using EdgeMdm.ServiceDefaults.Durability;

namespace EdgeMdm.ServiceDefaults.OwnerOnly;

/// <summary>
/// Files holding secrets (keys, key rings, databases, credential files) readable by the service's own account alone:
/// created 0600 (directories 0700) whatever the umask, and checked at start, where a file or directory that others may
/// read stops the server with the file's name and the command that fixes it. On Windows, where modes do not apply,
/// files are written and checked as ordinary files.
/// </summary>
public static class OwnerOnlyFiles
{
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="path"/> (and missing parents) 0700; an existing directory keeps its mode (the start check judges it).</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(path);
        else
            Directory.CreateDirectory(path, DirectoryMode);
    }

    /// <summary>
    /// Creates an empty file 0600 where none is yet, so whatever fills it later (SQLite, which also gives its -wal and
    /// -shm files the database's mode) never makes it with the umask's mode.
    /// </summary>
    public static void CreateEmptyIfMissing(string path)
    {
        if (File.Exists(path))
            return;
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
            CreateDirectory(directory);
        try
        {
            using var _ = new FileStream(path, Create(System.IO.FileMode.CreateNew));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process (a replica, an operator command) made it first: theirs is as good.
        }
    }

    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="path"/> atomically (a 0600 temp file beside it, renamed over it),
    /// so a reader never sees half a file and the file is never, even briefly, readable by others; durably (the bytes,
    /// then the rename, fsynced), so a power cut leaves the old file or the new one, never an empty one.
    /// </summary>
    public static void WriteAllText(string path, string text)
    {
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } directory)
            CreateDirectory(directory);
        var temporary = Path.Combine(Path.GetDirectoryName(full) ?? ".", "." + Path.GetFileName(full) + ".tmp");
        using (var stream = new FileStream(temporary, Create(System.IO.FileMode.Create)))
        {
            stream.Write(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));
            stream.Flush(flushToDisk: true);
        }

        DurableFiles.MoveFile(temporary, full, overwrite: true);
    }

    /// <summary>Makes an existing file 0600 (one a library wrote with the umask's mode, inside a 0700 directory).</summary>
    public static void Restrict(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path))
            File.SetUnixFileMode(path, FileMode);
    }

    /// <summary>
    /// Throws <see cref="TooOpenFileException"/> naming every path in <paramref name="paths"/> that exists and that
    /// anyone but its owner may read, write or enter, each with the <c>chmod</c> that fixes it. Paths that do not exist
    /// pass: what the server creates later is created owner-only.
    /// </summary>
    public static void RequireOwnerOnly(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var problems = paths.Distinct(StringComparer.Ordinal).Select(Problem).OfType<string>().ToList();
        if (problems.Count > 0)
            throw new TooOpenFileException(problems);
    }

    /// <summary>What is wrong with <paramref name="path"/>'s mode, or null when only its owner may use it (or it does not exist).</summary>
    public static string? Problem(string path)
    {
        if (OperatingSystem.IsWindows())
            return null;
        var isDirectory = Directory.Exists(path);
        if (!isDirectory && !File.Exists(path))
            return null;
        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOthers) == UnixFileMode.None)
            return null;
        var octal = Convert.ToString((int)mode, 8).PadLeft(4, '0');
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{path} is open to other accounts (mode {octal}); it must be readable by this service's account alone: run chmod {(isDirectory ? "700" : "600")} {path}");
    }

    /// <summary>
    /// The secret <paramref name="path"/> holds, trimmed, for a setting that keeps a secret off the command line (where
    /// <c>ps</c> shows it): a file others may read is not read. Either <c>Secret</c> or <c>Error</c> is set; the error
    /// names the file and what is wrong (<paramref name="holds"/> says what it must hold when it is empty), never the
    /// secret.
    /// </summary>
    public static (string? Secret, string? Error) ReadSecret(string path, string holds)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Problem(path) is { } tooOpen)
            return (null, tooOpen);
        try
        {
            var secret = File.ReadAllText(path).Trim();
            return secret.Length == 0 ? (null, $"{path} is empty; it must hold {holds}") : (secret, null);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return (null, exception is FileNotFoundException or DirectoryNotFoundException ? $"no file {path}" : exception.Message);
        }
    }

    /// <summary>Options for a new file written 0600 from its first byte (<paramref name="mode"/>: CreateNew, Create...).</summary>
    public static FileStreamOptions NewFile(System.IO.FileMode mode) => Create(mode);

    private static FileStreamOptions Create(System.IO.FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = FileMode;
        return options;
    }
}

/// <summary>Files or directories holding secrets that other accounts may read: the server does not start.</summary>
public sealed class TooOpenFileException : IOException
{
    public TooOpenFileException(IReadOnlyList<string> problems)
        : base(string.Join("; ", problems ?? throw new ArgumentNullException(nameof(problems)))) => Problems = problems;

    public TooOpenFileException()
        : this([])
    {
    }

    public TooOpenFileException(string message)
        : this([message])
    {
    }

    public TooOpenFileException(string message, Exception innerException)
        : base(message, innerException) => Problems = [message];

    public IReadOnlyList<string> Problems { get; }
}
