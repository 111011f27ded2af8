using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Backup;

/// <summary>
/// Deletes a site's data directory's contents, the directory itself kept (systemd's <c>StateDirectory</c> owns it, with
/// its owner and mode). The database goes first: a reset cut halfway leaves no site behind, only files the next reset or
/// start deals with (a new site makes new keys and certificates over them).
/// </summary>
internal static class SiteReset
{
    /// <summary>Deletes everything in <paramref name="directory"/>; returns how many files were deleted.</summary>
    public static int Delete(string directory)
    {
        var deleted = 0;
        foreach (var file in EdgeDatabase.FilesIn(directory).Where(File.Exists))
        {
            File.Delete(file);
            deleted++;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(directory).ToList())
        {
            if (Directory.Exists(entry))
            {
                deleted += Directory.EnumerateFiles(entry, "*", SearchOption.AllDirectories).Count();
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
                deleted++;
            }
        }

        return deleted;
    }
}
