using System.Runtime.InteropServices;

namespace EdgeMdm.ServiceDefaults.Durability;

/// <summary>
/// Renames that survive a power cut. A rename changes a directory, not the file: until the directory itself is
/// fsynced, a power loss may undo it (the file written and fsynced under its temporary name, the new name gone, or the
/// old file back), even though the process saw it done. Every place that publishes something durable by a rename
/// (a staging batch, a cached package, a key or credential file, a backup, a TLS file, a hub blob) goes through here.
/// The file's own bytes are the caller's to fsync before the rename.
/// </summary>
public static class DurableFiles
{
    /// <summary><see cref="File.Move(string, string, bool)"/>, then the directories that changed are synced.</summary>
    public static void MoveFile(string source, string destination, bool overwrite)
    {
        File.Move(source, destination, overwrite);
        SyncParentsOf(source, destination);
    }

    /// <summary><see cref="Directory.Move"/>, then the directories that changed are synced.</summary>
    public static void MoveDirectory(string source, string destination)
    {
        Directory.Move(source, destination);
        SyncParentsOf(source, destination);
    }

    /// <summary>
    /// fsyncs <paramref name="directory"/> itself, so that the names it holds (a rename into it, a file created in it)
    /// are on the disk. True when it was synced; false on Windows (NTFS journals its directories) and where the file
    /// system refuses to sync a directory or the directory cannot be opened: there is nothing more this process can do,
    /// and the caller carries on. A disk that fails the write (EIO, ENOSPC) throws <see cref="IOException"/>, as a
    /// failed fsync of a file would.
    /// </summary>
    public static bool SyncDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (OperatingSystem.IsWindows())
            return false;
        // .NET opens no directory (File.OpenHandle refuses one), so open(2) and fsync(2) directly.
        var descriptor = NativeMethods.Open(directory, OperatingSystem.IsLinux() ? NativeMethods.ReadOnlyCloseOnExecLinux : NativeMethods.ReadOnly);
        if (descriptor < 0)
            return false;
        try
        {
            if (NativeMethods.Fsync(descriptor) == 0)
                return true;
            var error = Marshal.GetLastPInvokeError();
            if (error is NativeMethods.IoError or NativeMethods.NoSpace)
                throw new IOException($"the disk failed to write the directory {directory} (fsync: {Marshal.GetPInvokeErrorMessage(error)})");
            return false;
        }
        finally
        {
            _ = NativeMethods.Close(descriptor);
        }
    }

    private static void SyncParentsOf(string source, string destination)
    {
        var to = Path.GetDirectoryName(Path.GetFullPath(destination));
        var from = Path.GetDirectoryName(Path.GetFullPath(source));
        if (to is not null)
            SyncDirectory(to);
        // A move between directories also removes a name from the source's: sync it too, or the file may come back twice.
        if (from is not null && !string.Equals(from, to, StringComparison.Ordinal))
            SyncDirectory(from);
    }

    private static class NativeMethods
    {
        public const int ReadOnly = 0;

        /// <summary>O_RDONLY | O_CLOEXEC on Linux (the same value on x86-64 and arm64): no child process inherits the descriptor.</summary>
        public const int ReadOnlyCloseOnExecLinux = 0x80000;

        public const int IoError = 5;
        public const int NoSpace = 28;

        /// <summary><c>open(2)</c> without its optional mode: the call creates nothing, so the variadic argument is never read.</summary>
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fsync(int descriptor);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int descriptor);
    }
}
