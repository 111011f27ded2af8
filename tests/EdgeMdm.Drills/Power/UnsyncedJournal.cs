using System.Buffers.Binary;

namespace EdgeMdm.Drills.Power;

/// <summary>
/// The restorer of the power-loss drill: reads the undo journals the LD_PRELOAD shim (<c>native/unsynced.c</c>) wrote
/// (one per process, <c>JOURNAL.PID</c>) and, after every process writing the data directory was killed, undoes
/// newest first each change to a file made after that file's last completed fsync/fdatasync, then deletes SQLite's
/// <c>-shm</c> files (shared memory, rebuilt from the WAL) and the journals. What is left is what a disk that drops
/// unsynced writes would hold, under the shim's model (metadata durable at once and in order; see unsynced.c).
/// </summary>
internal sealed class UnsyncedJournal(string journalPrefix, string root)
{
    private const uint Magic = 0x4a534e55;
    private const int HeaderLength = 64;
    private const uint Change = 1, Sync = 2, SyncAll = 3, Gone = 4;

    /// <summary>The environment that makes a process under <paramref name="shim"/> journal its writes under the root.</summary>
    public IReadOnlyDictionary<string, string> Environment(string shim) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["LD_PRELOAD"] = shim, ["UNSYNCED_ROOT"] = root, ["UNSYNCED_JOURNAL"] = journalPrefix,
    };

    /// <summary>Undoes every unsynced change; returns how many changes were undone and in how many files.</summary>
    public (int Changes, int Files) Restore()
    {
        var records = ReadAll();
        var syncAll = records.Where(r => r.Kind == SyncAll).Select(r => r.Stamp).DefaultIfEmpty(0ul).Max();
        var durableUntil = new Dictionary<(ulong, ulong), ulong>();
        foreach (var r in records.Where(r => r.Kind is Sync or Gone))
            durableUntil[(r.Dev, r.Ino)] = Math.Max(durableUntil.GetValueOrDefault((r.Dev, r.Ino)), r.Stamp);
        var undo = records
            .Where(r => r.Kind == Change && r.Stamp > Math.Max(syncAll, durableUntil.GetValueOrDefault((r.Dev, r.Ino))))
            .OrderByDescending(r => r.Stamp)
            .ToList();
        var files = FilesByInode(undo.Select(r => (r.Dev, r.Ino)).ToHashSet());
        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var change in undo)
        {
            // A file deleted since (its undo moot: the deletion is durable in this model) is not found.
            if (!files.TryGetValue((change.Dev, change.Ino), out var path))
                continue;
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
            file.Position = change.Offset;
            file.Write(change.Image);
            file.SetLength(change.Size);
            touched.Add(path);
        }

        foreach (var shm in Directory.EnumerateFiles(root, "*-shm", SearchOption.AllDirectories))
            File.Delete(shm);
        foreach (var journal in Journals())
            File.Delete(journal);
        return (undo.Count, touched.Count);
    }

    private IEnumerable<string> Journals()
    {
        var directory = Path.GetDirectoryName(journalPrefix)!;
        return Directory.Exists(directory) ? Directory.EnumerateFiles(directory, Path.GetFileName(journalPrefix) + ".*") : [];
    }

    private List<Record> ReadAll()
    {
        var records = new List<Record>();
        foreach (var journal in Journals())
        {
            var bytes = File.ReadAllBytes(journal);
            var at = 0;
            // A record the kill cut short is the journal's last: the change it precedes had not begun.
            while (at + HeaderLength <= bytes.Length)
            {
                var header = bytes.AsSpan(at, HeaderLength);
                var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
                if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic || length < HeaderLength)
                    throw new InvalidDataException($"{journal}: no record at byte {at}");
                if (at + length > bytes.Length)
                    break;
                var imageLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(header[56..]);
                records.Add(new Record(
                    BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(header[16..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(header[24..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(header[32..]),
                    BinaryPrimitives.ReadInt64LittleEndian(header[40..]),
                    BinaryPrimitives.ReadInt64LittleEndian(header[48..]),
                    bytes.AsSpan(at + HeaderLength, imageLength).ToArray()));
                at += length;
            }
        }

        return records;
    }

    /// <summary>The path of each wanted (device, inode) under the root: <c>find -printf</c>, .NET has no stat of its own.</summary>
    private Dictionary<(ulong, ulong), string> FilesByInode(HashSet<(ulong, ulong)> wanted)
    {
        var found = new Dictionary<(ulong, ulong), string>();
        if (wanted.Count == 0)
            return found;
        var info = new ProcessStartInfo("find") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { root, "-type", "f", "-printf", "%D %i %p\\n" })
            info.ArgumentList.Add(arg);
        using var find = Process.Start(info) ?? throw new InvalidOperationException("could not start find");
        var lines = find.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        find.WaitForExit();
        foreach (var line in lines)
        {
            var fields = line.Split(' ', 3);
            var id = (ulong.Parse(fields[0], CultureInfo.InvariantCulture), ulong.Parse(fields[1], CultureInfo.InvariantCulture));
            if (wanted.Contains(id))
                found[id] = fields[2];
        }

        return found;
    }

    private sealed record Record(uint Kind, ulong Stamp, ulong Dev, ulong Ino, long Offset, long Size, byte[] Image);
}
