using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Agent;

/// <summary>
/// Where a device keeps package files: <c>SHA256.part</c> while downloading (kept across a cut so the next
/// attempt resumes), <c>SHA256.apk</c> once its signature, size and hash verified. A file reaches its verified
/// name only by a rename after the check, so a verified name never holds unchecked bytes.
/// </summary>
/// <remarks>
/// The fleet simulator gives every virtual device its own part directory and one shared verified directory
/// (<see cref="KeepAfterInstall"/> on): each device still downloads and verifies its own copy, but only one
/// copy per package stays on disk, so a fleet of 200 costs one package's worth of disk, not 200. The parts
/// and the verified directory must be on one file system (the promotion is a rename).
/// </remarks>
public sealed class PackageFiles
{
    private readonly string _verifiedDirectory;
    private readonly string _partsDirectory;

    /// <param name="verifiedDirectory">Verified packages, waiting to be installed (or kept, see <paramref name="keepAfterInstall"/>).</param>
    /// <param name="partsDirectory">Downloads in progress; the same as <paramref name="verifiedDirectory"/> for a single device.</param>
    /// <param name="keepAfterInstall">False for a real device: an installed package file is deleted to give its space back.</param>
    public PackageFiles(string verifiedDirectory, string partsDirectory, bool keepAfterInstall)
    {
        ArgumentException.ThrowIfNullOrEmpty(verifiedDirectory);
        ArgumentException.ThrowIfNullOrEmpty(partsDirectory);
        _verifiedDirectory = Path.GetFullPath(verifiedDirectory);
        _partsDirectory = Path.GetFullPath(partsDirectory);
        KeepAfterInstall = keepAfterInstall;
    }

    /// <summary>One directory for parts and verified files, installed files deleted: a real device.</summary>
    public static PackageFiles ForDevice(string directory) => new(directory, directory, keepAfterInstall: false);

    public bool KeepAfterInstall { get; }

    public string PartPath(string sha256) => Path.Combine(_partsDirectory, Checked(sha256) + ".part");

    public string VerifiedPath(string sha256) => Path.Combine(_verifiedDirectory, Checked(sha256) + ".apk");

    public bool HasVerified(string sha256) => File.Exists(VerifiedPath(sha256));

    public void EnsureDirectories()
    {
        Directory.CreateDirectory(_partsDirectory);
        Directory.CreateDirectory(_verifiedDirectory);
    }

    /// <summary>
    /// Renames the checked part to its verified name. When a verified copy is already there (another simulated
    /// device promoted it first), the part is dropped: equal hashes, equal bytes.
    /// </summary>
    public void Promote(string sha256)
    {
        var part = PartPath(sha256);
        try
        {
            File.Move(part, VerifiedPath(sha256), overwrite: false);
        }
        catch (IOException) when (HasVerified(sha256))
        {
            File.Delete(part);
        }
    }

    /// <summary>Deletes the part and the verified file: they failed a check.</summary>
    public void Discard(string sha256)
    {
        File.Delete(PartPath(sha256));
        File.Delete(VerifiedPath(sha256));
    }

    /// <summary>The package is installed: its file is no longer needed, unless the files are shared.</summary>
    public void Installed(string sha256)
    {
        if (!KeepAfterInstall)
            File.Delete(VerifiedPath(sha256));
    }

    // The hash becomes a file name: only the 64-hex form may, never a path.
    private static string Checked(string sha256) =>
        PackageManifest.IsSha256Hex(sha256) ? sha256 : throw new ArgumentException($"'{sha256}' is not a lowercase hex SHA-256", nameof(sha256));
}
