using System.Diagnostics;
using EdgeMdm.Testing;

namespace EdgeMdm.ServiceDefaults.Tests;

/// <summary>
/// <c>tests/scripts/scan-test-logs.sh</c>, the check <c>make test</c> runs over every log the suite wrote: it must find
/// each kind of secret planted in a log or trx file, name the file and line without repeating the secret, and pass
/// clean logs (including redacted secrets and hashes).
/// </summary>
public sealed class TestLogScanTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-scan-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Every_kind_of_planted_secret_is_found_and_named_by_file_and_line()
    {
        // Arrange: one secret of each kind per line after a clean first line, in a log and a trx file
        string[] planted =
        [
            "-----BEGIN PRIVATE KEY-----",
            "enrolled dev-1 with secret ds_" + new string('A', 43),
            "token et_" + new string('b', 32) + " used",
            "cradle bay-3 mq_" + new string('c', 32),
            "authorization: Bearer 0123456789abcdef0123456789abcdef",
            "break-glass password is abcde-fghjk-mnpqr-stuvw",
            "Cloud:Password=hunter2-hunter2",
            "signed in with literal-password",
        ];
        await File.WriteAllLinesAsync(Path.Combine(_directory, "EdgeMdm.Edge.Tests-1.log"), ["clean first line", .. planted]);
        await File.WriteAllTextAsync(Path.Combine(_directory, "results.trx"), "<Output><StdOut>ok\nsite credential: 1f2e3d4c5b6a79881f2e3d4c5b6a7988</StdOut></Output>\n");

        // Act
        var (exitCode, output) = await ScanAsync(_directory);

        // Assert
        Assert.Equal(1, exitCode);
        for (var line = 2; line <= planted.Length + 1; line++)
            Assert.Contains($"EdgeMdm.Edge.Tests-1.log:{line}: ", output, StringComparison.Ordinal);
        Assert.Contains("results.trx:2: secret-named value", output, StringComparison.Ordinal);
        Assert.DoesNotContain(":1: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", output, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('A', 43), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_without_secrets_pass()
    {
        // Arrange: what the servers do log: redacted secrets, hashes, ids, key ids, public keys
        await File.WriteAllLinesAsync(Path.Combine(_directory, "EdgeMdm.Cloud.Tests-2.log"),
        [
            "Staging plan wifi: psk (secret), password=(secret)",
            "package sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 published",
            "device dev-0a1b2c3d4e5f6071 enrolled with token prefix et_abcd",
            "-----BEGIN PUBLIC KEY-----",
            "Broker file /tmp/x/passwords written",
        ]);

        // Act
        var (exitCode, output) = await ScanAsync(_directory);

        // Assert
        Assert.Equal((0, "scan-test-logs: no secrets in 1 log and trx files"), (exitCode, output.Trim()));
    }

    private static async Task<(int ExitCode, string Output)> ScanAsync(string directory)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "tests", "scripts", "scan-test-logs.sh"));
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
