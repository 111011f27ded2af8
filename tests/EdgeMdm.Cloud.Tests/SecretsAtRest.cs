using System.Text;
using EdgeMdm.Testing;

namespace EdgeMdm.Cloud.Tests;

/// <summary>Asserts that a secret is in none of the hub's SQLite files (the database, its WAL) nor in anything logged.</summary>
internal static class SecretsAtRest
{
    public static async Task AssertNowhereAsync(RunningHub hub, params string[] secrets)
    {
        var files = System.IO.Directory.EnumerateFiles(hub.Directory, "cloud.db*").ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var bytes = await ReadSharedAsync(file);
            foreach (var secret in secrets)
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{file} holds a secret");
        }

        Assert.NotEmpty(hub.Logs.Entries);
        foreach (var secret in secrets)
            Assert.DoesNotContain(hub.Logs.Entries, e => Holds(e, secret));
    }

    private static bool Holds(LogEntry entry, string secret) =>
        entry.Message.Contains(secret, StringComparison.Ordinal) || (entry.Exception?.ToString().Contains(secret, StringComparison.Ordinal) ?? false);

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
