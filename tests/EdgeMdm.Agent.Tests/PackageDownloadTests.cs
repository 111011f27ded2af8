using System.Net;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Agent.Tests;

/// <summary><see cref="DeviceApiClient.DownloadPackageAsync"/> against a real Kestrel server.</summary>
public sealed class PackageDownloadTests : IAsyncLifetime, IDisposable
{
    private readonly ManifestSigner _signer = ManifestSigner.CreateNew();
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-agent-download-").FullName;
    private FakeAppliance _appliance = null!;
    private DeviceApiClient _client = null!;
    private TestPackage _package = null!;

    private string PartPath => Path.Combine(_directory, _package.Sha256 + ".part");

    public async Task InitializeAsync()
    {
        _appliance = await FakeAppliance.StartAsync();
        _client = _appliance.CreateApiClient();
        await _client.EnrollAsync(new Contracts.Device.EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1" });
        _package = TestPackage.Create(_signer);
        _appliance.Packages[_package.Sha256] = _package.Bytes;
    }

    public Task DisposeAsync() => _appliance.DisposeAsync().AsTask();

    public void Dispose()
    {
        _signer.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Download_streams_the_whole_file_with_the_device_credential()
    {
        var download = await DownloadAsync();

        Assert.Equal(PackageDownload.Completed(_package.Bytes.Length, resumed: false), download);
        Assert.Equal(_package.Bytes, await File.ReadAllBytesAsync(PartPath));
        var request = Assert.Single(_appliance.PackageRequests);
        Assert.Equal(("GET", "/api/v1/packages/" + _package.Sha256, "Bearer secret-S1", null, null), (request.Method, request.Path, request.Authorization, request.Range, request.IfRange));
    }

    [Fact]
    public async Task A_cut_download_resumes_with_range_and_if_range_and_appends()
    {
        _appliance.CutNextPackageAfterBytes = 100_000;

        var cut = await Record.ExceptionAsync(DownloadAsync);
        var kept = new FileInfo(PartPath).Length;
        var resumed = await DownloadAsync();

        Assert.True(cut is HttpRequestException or IOException, $"a cut is a transport failure, not {cut}");
        Assert.InRange(kept, 1, 100_000);
        Assert.Equal(PackageDownload.Completed(_package.Bytes.Length - kept, resumed: true), resumed);
        Assert.Equal(_package.Bytes, await File.ReadAllBytesAsync(PartPath));
        var second = _appliance.PackageRequests.Last();
        Assert.Equal(("bytes=" + kept + "-", "\"" + _package.Sha256 + "\""), (second.Range, second.IfRange));
    }

    [Fact]
    public async Task A_200_to_a_range_request_restarts_the_file_from_zero()
    {
        await File.WriteAllBytesAsync(PartPath, new byte[5000]); // bytes that are not the start of this package
        _appliance.IgnoreRanges = true;

        var download = await DownloadAsync();

        Assert.Equal(PackageDownload.Completed(_package.Bytes.Length, resumed: false), download);
        Assert.Equal(_package.Bytes, await File.ReadAllBytesAsync(PartPath));
        Assert.Equal("bytes=5000-", _appliance.PackageRequests.Single().Range);
    }

    [Fact]
    public async Task A_part_already_whole_is_not_fetched_again()
    {
        await File.WriteAllBytesAsync(PartPath, _package.Bytes);

        var download = await DownloadAsync();

        Assert.Equal(PackageDownload.Completed(0, resumed: true), download);
        Assert.Empty(_appliance.PackageRequests);
    }

    [Fact]
    public async Task A_body_longer_than_the_manifest_is_stopped_and_its_part_deleted()
    {
        _appliance.Packages[_package.Sha256] = [.. _package.Bytes, .. new byte[10]];

        await Assert.ThrowsAsync<PackageTooLargeException>(DownloadAsync);

        Assert.False(File.Exists(PartPath));
    }

    [Fact]
    public async Task A_range_past_the_appliance_file_is_416_and_the_part_is_dropped_for_a_fresh_start()
    {
        await File.WriteAllBytesAsync(PartPath, _package.Bytes);

        var refused = await Assert.ThrowsAsync<DeviceApiException>(() =>
            _client.DownloadPackageAsync("secret-S1", _package.Package.DownloadPath, _package.Sha256, _package.Bytes.Length + 1000, PartPath));

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, refused.StatusCode);
        Assert.False(File.Exists(PartPath));
    }

    [Fact]
    public async Task Service_unavailable_is_not_yet_available_with_the_retry_after()
    {
        _appliance.UnavailablePackages = 1;
        _appliance.RetryAfterSeconds = 42;

        var download = await DownloadAsync();

        Assert.Equal(PackageDownload.NotYetAvailable(TimeSpan.FromSeconds(42)), download);
        Assert.False(File.Exists(PartPath));
    }

    [Fact]
    public async Task Unknown_package_and_unknown_device_are_clear_failures()
    {
        var unknown = await Assert.ThrowsAsync<DeviceApiException>(() => _client.DownloadPackageAsync("secret-S1", "/api/v1/packages/" + new string('0', 64), new string('0', 64), 10, PartPath));
        var unauthorized = await Assert.ThrowsAsync<DeviceApiException>(() => _client.DownloadPackageAsync("secret-nobody", _package.Package.DownloadPath, _package.Sha256, _package.Bytes.Length, PartPath));

        Assert.Equal((HttpStatusCode.NotFound, "Unknown package"), (unknown.StatusCode, unknown.Title));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    [Theory]
    [InlineData("http://elsewhere.example/api/v1/packages/x")]
    [InlineData("//elsewhere.example/x")]
    [InlineData("api/v1/packages/x")]
    public async Task A_download_path_off_the_appliance_is_refused_before_sending_the_credential(string downloadPath)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _client.DownloadPackageAsync("secret-S1", downloadPath, _package.Sha256, 10, PartPath));

        Assert.Empty(_appliance.PackageRequests);
    }

    private Task<PackageDownload> DownloadAsync() =>
        _client.DownloadPackageAsync("secret-S1", _package.Package.DownloadPath, _package.Sha256, _package.Bytes.Length, PartPath);
}
