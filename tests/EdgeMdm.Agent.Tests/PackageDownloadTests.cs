using System.Net;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Agent.Tests;

/// <summary><see cref="DeviceApiClient.DownloadPackageAsync"/> against a real Kestrel server.</summary>
public sealed class PackageDownloadTests() : FakeAppliancePackageTests("edgemdm-agent-download-")
{
    private string PartPath => Path.Combine(Scratch, Package.Sha256 + ".part");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Api.EnrollAsync(new Contracts.Device.EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1" });
    }

    [Fact]
    public async Task Download_streams_the_whole_file_with_the_device_credential()
    {
        var download = await DownloadAsync();

        Assert.Equal(PackageDownload.Completed(Package.Bytes.Length, resumed: false), download);
        Assert.Equal(Package.Bytes, await File.ReadAllBytesAsync(PartPath));
        var request = Assert.Single(Appliance.PackageRequests);
        Assert.Equal(("GET", "/api/v1/packages/" + Package.Sha256, "Bearer secret-S1", null, null), (request.Method, request.Path, request.Authorization, request.Range, request.IfRange));
    }

    [Fact]
    public async Task A_cut_download_resumes_with_range_and_if_range_and_appends()
    {
        Appliance.CutNextPackageAfterBytes = 100_000;

        var cut = await Record.ExceptionAsync(DownloadAsync);
        var kept = new FileInfo(PartPath).Length;
        var resumed = await DownloadAsync();

        Assert.True(cut is HttpRequestException or IOException, $"a cut is a transport failure, not {cut}");
        Assert.InRange(kept, 1, 100_000);
        Assert.Equal(PackageDownload.Completed(Package.Bytes.Length - kept, resumed: true), resumed);
        Assert.Equal(Package.Bytes, await File.ReadAllBytesAsync(PartPath));
        var second = Appliance.PackageRequests.Last();
        Assert.Equal(("bytes=" + kept + "-", "\"" + Package.Sha256 + "\""), (second.Range, second.IfRange));
    }

    [Fact]
    public async Task A_200_to_a_range_request_restarts_the_file_from_zero()
    {
        await File.WriteAllBytesAsync(PartPath, new byte[5000]); // bytes that are not the start of this package
        Appliance.IgnoreRanges = true;

        var download = await DownloadAsync();

        Assert.Equal(PackageDownload.Completed(Package.Bytes.Length, resumed: false), download);
        Assert.Equal(Package.Bytes, await File.ReadAllBytesAsync(PartPath));
        Assert.Equal("bytes=5000-", Appliance.PackageRequests.Single().Range);
    }

    [Fact]
    public async Task A_part_already_whole_is_not_fetched_again()
    {
        await File.WriteAllBytesAsync(PartPath, Package.Bytes);

        var download = await DownloadAsync();

        Assert.Equal(PackageDownload.Completed(0, resumed: true), download);
        Assert.Empty(Appliance.PackageRequests);
    }

    [Fact]
    public async Task A_body_longer_than_the_manifest_is_stopped_and_its_part_deleted()
    {
        Appliance.Packages[Package.Sha256] = [.. Package.Bytes, .. new byte[10]];

        await Assert.ThrowsAsync<PackageTooLargeException>(DownloadAsync);

        Assert.False(File.Exists(PartPath));
    }

    [Fact]
    public async Task A_range_past_the_appliance_file_is_416_and_the_part_is_dropped_for_a_fresh_start()
    {
        await File.WriteAllBytesAsync(PartPath, Package.Bytes);

        var refused = await Assert.ThrowsAsync<DeviceApiException>(() =>
            Api.DownloadPackageAsync("secret-S1", Package.Package.DownloadPath, Package.Sha256, Package.Bytes.Length + 1000, PartPath));

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, refused.StatusCode);
        Assert.False(File.Exists(PartPath));
    }

    [Fact]
    public async Task Service_unavailable_is_not_yet_available_with_the_retry_after()
    {
        Appliance.UnavailablePackages = 1;
        Appliance.RetryAfterSeconds = 42;

        var download = await DownloadAsync();

        Assert.Equal(PackageDownload.NotYetAvailable(TimeSpan.FromSeconds(42)), download);
        Assert.False(File.Exists(PartPath));
    }

    [Fact]
    public async Task Unknown_package_and_unknown_device_are_clear_failures()
    {
        var unknown = await Assert.ThrowsAsync<DeviceApiException>(() => Api.DownloadPackageAsync("secret-S1", "/api/v1/packages/" + new string('0', 64), new string('0', 64), 10, PartPath));
        var unauthorized = await Assert.ThrowsAsync<DeviceApiException>(() => Api.DownloadPackageAsync("secret-nobody", Package.Package.DownloadPath, Package.Sha256, Package.Bytes.Length, PartPath));

        Assert.Equal((HttpStatusCode.NotFound, "Unknown package"), (unknown.StatusCode, unknown.Title));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    [Theory]
    [InlineData("http://elsewhere.example/api/v1/packages/x")]
    [InlineData("//elsewhere.example/x")]
    [InlineData("api/v1/packages/x")]
    public async Task A_download_path_off_the_appliance_is_refused_before_sending_the_credential(string downloadPath)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Api.DownloadPackageAsync("secret-S1", downloadPath, Package.Sha256, 10, PartPath));

        Assert.Empty(Appliance.PackageRequests);
    }

    private Task<PackageDownload> DownloadAsync() =>
        Api.DownloadPackageAsync("secret-S1", Package.Package.DownloadPath, Package.Sha256, Package.Bytes.Length, PartPath);
}
