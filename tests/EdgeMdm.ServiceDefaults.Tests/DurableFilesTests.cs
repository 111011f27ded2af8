using EdgeMdm.ServiceDefaults.Durability;

namespace EdgeMdm.ServiceDefaults.Tests;

public sealed class DurableFilesTests
{
    /// <summary>tmpfs (/dev/shm) and the disk the tests run from (ext4 or overlay on these machines).</summary>
    public static TheoryData<string> Roots() => new() { "/dev/shm", AppContext.BaseDirectory };

    [Theory]
    [MemberData(nameof(Roots))]
    public void A_renamed_file_is_in_place_and_its_directory_was_synced(string root)
    {
        var directory = Path.Combine(root, "durable-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(directory, "staged"));
        try
        {
            var staged = Path.Combine(directory, "staged", "blob.part");
            File.WriteAllText(staged, "bytes");

            DurableFiles.MoveFile(staged, Path.Combine(directory, "blob"), overwrite: false);

            Assert.Equal("bytes", File.ReadAllText(Path.Combine(directory, "blob")));
            Assert.False(File.Exists(staged));
            // open(2) and fsync(2) of the directory itself both succeeded.
            Assert.True(DurableFiles.SyncDirectory(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_directory_that_cannot_be_opened_is_not_an_error()
    {
        Assert.False(DurableFiles.SyncDirectory(Path.Combine(Path.GetTempPath(), "missing-" + Guid.NewGuid().ToString("N"))));
    }
}
