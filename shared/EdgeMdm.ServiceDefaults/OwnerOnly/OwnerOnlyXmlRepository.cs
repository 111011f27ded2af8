using System.Xml.Linq;
using EdgeMdm.ServiceDefaults.Durability;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.ServiceDefaults.OwnerOnly;

/// <summary>
/// The framework's file system key repository with owner-only modes: the directory is made 0700 before the first
/// key is written, and each key file is made 0600 once the framework has written it (it writes with the umask's mode;
/// the 0700 directory keeps others out in between).
/// </summary>
public sealed class OwnerOnlyXmlRepository : IXmlRepository
{
    private readonly DirectoryInfo _directory;
    private readonly FileSystemXmlRepository _inner;

    public OwnerOnlyXmlRepository(DirectoryInfo directory, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        OwnerOnlyFiles.CreateDirectory(directory.FullName);
        _directory = directory;
        _inner = new FileSystemXmlRepository(directory, loggerFactory);
    }

    public IReadOnlyCollection<XElement> GetAllElements() => _inner.GetAllElements();

    public void StoreElement(XElement element, string friendlyName)
    {
        _inner.StoreElement(element, friendlyName);
        foreach (var file in _directory.EnumerateFiles("*.xml"))
        {
            OwnerOnlyFiles.Restrict(file.FullName);
            // On disk before anything the key protects is committed: the framework renames a written file into place
            // without fsync, and a power cut after the database's commit (a first start that protects what an older
            // version stored in clear, say) would otherwise keep the protected rows and lose the key that opens them.
            using var written = new FileStream(file.FullName, FileMode.Open, FileAccess.ReadWrite);
            written.Flush(flushToDisk: true);
        }

        // And the rename itself: on ext4 the file's fsync happens to commit the journal holding it, elsewhere only this does.
        DurableFiles.SyncDirectory(_directory.FullName);
    }

    /// <summary>The key ring's directory and its key files, for the start check.</summary>
    public static IEnumerable<string> PathsIn(string directory) =>
        Directory.Exists(directory) ? Directory.EnumerateFiles(directory, "*.xml").Prepend(directory) : [directory];
}
