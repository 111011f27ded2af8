namespace EdgeMdm.Agent.Tests;

public sealed class DeviceCredentialsFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-agent-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Saved_credentials_load_back()
    {
        var path = Path.Combine(_directory, "agent-state.json");
        var credentials = new DeviceCredentials("http://127.0.0.1:8080/", "dev-1", "s3cret", "TC52-0001", "abc123");

        await DeviceCredentialsFile.SaveAsync(path, credentials);

        Assert.Equal(credentials, await DeviceCredentialsFile.LoadAsync(path));
        Assert.Contains("\"deviceSecret\": \"s3cret\"", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_file_is_private_and_replaced_without_leftovers()
    {
        var path = Path.Combine(_directory, "state", "agent-state.json");
        await DeviceCredentialsFile.SaveAsync(path, new DeviceCredentials("http://a/", "dev-1", "one", "S", null));

        await DeviceCredentialsFile.SaveAsync(path, new DeviceCredentials("http://a/", "dev-1", "two", "S", "t"));

        Assert.Equal("two", (await DeviceCredentialsFile.LoadAsync(path)).DeviceSecret);
        Assert.Equal(["agent-state.json"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task File_without_a_secret_is_invalid_data()
    {
        var path = Path.Combine(_directory, "agent-state.json");
        await File.WriteAllTextAsync(path, """{"server":"http://a/","deviceId":"dev-1","serial":"S"}""");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => DeviceCredentialsFile.LoadAsync(path));

        Assert.Contains("deviceSecret", error.Message, StringComparison.Ordinal);
    }
}
