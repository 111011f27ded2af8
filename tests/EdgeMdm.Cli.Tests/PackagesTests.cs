using System.Security.Cryptography;

namespace EdgeMdm.Cli.Tests;

public sealed class PackagesTests : SignedInCliTest
{
    [Fact]
    public async Task Upload_streams_the_file_and_prints_its_sha256_alone()
    {
        // Arrange
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        var file = WriteBytes("scan-412.apk", bytes);

        // Act
        var result = await Cli.RunAsync("packages", "upload", file, "--package-name", "com.acme.scan", "--version-code", "412", "--version-name", "4.1.2", "--min-os", "11");

        // Assert
        Assert.Equal(0, result.Exit);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal([sha256], result.OutLines);
        Assert.Empty(result.Err);
        var stored = Hub.Packages[sha256];
        Assert.Equal((300_000L, "com.acme.scan", 412L, "4.1.2", "11"), (stored["sizeBytes"]!.GetValue<long>(), stored["packageName"]!.GetValue<string>(),
            stored["versionCode"]!.GetValue<long>(), stored["versionName"]!.GetValue<string>(), stored["minOsVersion"]!.GetValue<string>()));
        Assert.Equal(["application/octet-stream"], Hub.UploadContentTypes);
        Assert.Contains("POST /api/v1/packages?packageName=com.acme.scan&versionCode=412&versionName=4.1.2&minOs=11", Hub.Requests);
    }

    [Fact]
    public async Task Upload_json_prints_the_signed_manifest_and_the_same_file_again_succeeds()
    {
        // Arrange
        var file = WriteBytes("scan.apk", RandomNumberGenerator.GetBytes(1000));
        string[] args = ["packages", "upload", file, "--package-name", "com.acme.scan", "--version-code", "412", "--version-name", "4.1.2", "--json"];

        // Act
        var first = await Cli.RunAsync(args);
        var again = await Cli.RunAsync(args);

        // Assert
        Assert.Equal((0, 0), (first.Exit, again.Exit));
        Assert.Equal(first.Out, again.Out);
        using var json = JsonDocument.Parse(first.Out);
        var root = json.RootElement;
        Assert.Equal(Hub.Packages.Keys.Single(), root.GetProperty("sha256").GetString());
        Assert.Equal((1000L, "c2lnbmF0dXJl"), (root.GetProperty("sizeBytes").GetInt64(), root.GetProperty("signature").GetString()));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("minOsVersion").ValueKind);
        Assert.Equal(64, root.GetProperty("keyId").GetString()!.Length);
    }

    [Fact]
    public async Task List_shows_a_table_and_a_json_array_filtered_by_package_name()
    {
        // Arrange
        foreach (var (name, code) in new[] { ("com.acme.scan", "413"), ("com.acme.scan", "412"), ("com.acme.browser", "7") })
        {
            var file = WriteBytes($"{name}-{code}.apk", RandomNumberGenerator.GetBytes(100 + code.Length));
            Assert.Equal(0, (await Cli.RunAsync("packages", "upload", file, "--package-name", name, "--version-code", code, "--version-name", "v" + code)).Exit);
        }

        // Act
        var table = await Cli.RunAsync("packages", "list");
        var json = await Cli.RunAsync("packages", "list", "--package-name", "com.acme.scan", "--json");

        // Assert
        Assert.Equal(0, table.Exit);
        Assert.Equal(["PACKAGE", "VERSION", "CODE", "SIZE", "MIN-OS", "SHA256", "PUBLISHED"], table.OutLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(
            [("com.acme.browser", "7"), ("com.acme.scan", "412"), ("com.acme.scan", "413")],
            table.OutLines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(c => (c[0], c[2])));
        Assert.All(table.OutLines.Skip(1), l => Assert.Contains(" - ", l, StringComparison.Ordinal)); // no minimum OS
        Assert.Equal(0, json.Exit);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal([412L, 413L], document.RootElement.EnumerateArray().Select(p => p.GetProperty("versionCode").GetInt64()));
        Assert.Contains("GET /api/v1/packages?packageName=com.acme.scan", Hub.Requests);
    }

    [Fact]
    public async Task A_missing_file_a_conflict_and_bad_usage_are_one_line_each()
    {
        // Arrange
        var file = WriteBytes("scan.apk", [1, 2, 3]);
        await Cli.RunAsync("packages", "upload", file, "--package-name", "com.acme.scan", "--version-code", "412", "--version-name", "4.1.2");
        var other = WriteBytes("other.apk", [4, 5, 6]);

        // Act
        var missing = await Cli.RunAsync("packages", "upload", Path.Combine(Path.GetTempPath(), "no-such-file.apk"), "--package-name", "com.acme.scan", "--version-code", "1", "--version-name", "1");
        var conflict = await Cli.RunAsync("packages", "upload", other, "--package-name", "com.acme.scan", "--version-code", "412", "--version-name", "4.1.2");
        var refused = await Cli.RunAsync("packages", "upload", other, "--package-name", "com.acme.scan", "--version-code", "0", "--version-name", "0");
        var noVersion = await Cli.RunAsync("packages", "upload", other, "--package-name", "com.acme.scan", "--version-name", "4.1.2");
        var notANumber = await Cli.RunAsync("packages", "upload", other, "--package-name", "com.acme.scan", "--version-code", "four", "--version-name", "4");

        // Assert
        Assert.Equal(1, missing.Exit);
        Assert.StartsWith("edgemdm: package file ", Assert.Single(missing.ErrLines), StringComparison.Ordinal);
        Assert.Equal(1, conflict.Exit);
        Assert.Equal(["edgemdm: Conflict: com.acme.scan version 412 is already published with other bytes"], conflict.ErrLines);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("versionCode", Assert.Single(refused.ErrLines), StringComparison.Ordinal);
        Assert.Equal((2, 2), (noVersion.Exit, notANumber.Exit));
        Assert.Single(noVersion.ErrLines);
        Assert.Single(notANumber.ErrLines);
        Assert.Empty(missing.Out + conflict.Out + refused.Out + noVersion.Out + notANumber.Out);
        Assert.Single(Hub.Packages);
    }

    private string WriteBytes(string name, byte[] bytes)
    {
        var path = Cli.WriteFile(name, "");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
