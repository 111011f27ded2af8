using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// A package uploaded at the hub and named by a blueprint reaches the site's cache over a cut uplink, resuming
/// where it stopped, and an enrolled device downloads it from the appliance with Range.
/// </summary>
public sealed partial class PackageCacheTests
{
    private const int BlobBytes = 6 * 1024 * 1024;

    // Slow enough that the cut lands mid-blob however fast the machine, fast enough to finish in seconds.
    private const int FetchBytesPerSecond = 2 * 1024 * 1024;

    [Fact]
    public async Task A_blob_cut_mid_fetch_resumes_from_the_byte_reached_verifies_and_is_served_to_a_device_with_range()
    {
        // Arrange: hub, proxy, appliance (capped fetch rate, quick retries) and a package at the hub
        await using var hubWithSite = await HubWithSite.StartAsync("DC Packages");
        var (hub, siteId, credential, edgeDirectory) = hubWithSite;
        await using var proxy = new FaultyProxy(hub.GrpcUrl, seed: 404);
        await using var appliance = await StartApplianceAsync(edgeDirectory, proxy.Url, credential, "--package-fetch-rate", FetchBytesPerSecond.ToString(CultureInfo.InvariantCulture));
        var (blob, sha256) = await UploadAsync(hub, BlobBytes);
        await hub.PutBlueprintAsync("pickers", 411);
        var token = await hub.IssueTokenAsync(siteId, "pickers", uses: 5);
        proxy.ResetCounters();

        // Act: the blueprint moves to the uploaded version; once part of it is at the site, the uplink goes down for a while
        await hub.PutBlueprintAsync("pickers", 412);
        var part = Path.Combine(edgeDirectory, "blobs", sha256 + ".part");
        await WaitUntilAsync(() => File.Exists(part) && new FileInfo(part).Length >= BlobBytes / 4, "a quarter of the blob at the site", () => appliance.Output);
        proxy.Fault = UplinkFault.Down;
        var heldAtCut = new FileInfo(part).Length;
        await Task.Delay(TimeSpan.FromSeconds(2));
        // Counted from the heal: what was in flight at the cut (HTTP/2 lets the hub run megabytes ahead of a
        // rate-capped reader) is lost with the connection and depends on load; what comes after must be the rest only.
        proxy.ResetCounters();
        proxy.Fault = UplinkFault.None;
        var status = await WaitForCacheAsync(edgeDirectory, s => s.GetProperty("blobs").GetInt32() == 1, appliance);

        // Assert: fetched once, resumed from where the cut left it, verified and cached
        Assert.True(heldAtCut < BlobBytes, "the cut came after the blob was complete");
        const long Slack = 1 << 20; // gRPC and HTTP/2 framing, feed pulls: far less than the quarter held at the cut
        Assert.True(
            proxy.DownstreamBytes < BlobBytes - heldAtCut + Slack,
            $"after the heal the proxy carried {proxy.DownstreamBytes} bytes down; the site held {heldAtCut} of {BlobBytes} at the cut");
        var resumedFrom = ResumedOffsets().Matches(appliance.Output).Select(m => long.Parse(m.Groups["offset"].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Contains(resumedFrom, offset => offset > 0);
        Assert.Equal(0, status.GetProperty("pending").GetArrayLength());
        Assert.Equal(BlobBytes, status.GetProperty("bytes").GetInt64());
        Assert.False(File.Exists(part));
        Assert.Equal(blob, await File.ReadAllBytesAsync(Path.Combine(edgeDirectory, "blobs", sha256)));

        // ...and an enrolled device is offered it and downloads a range of it from the appliance
        await DeviceDownloadsTheTailAsync(appliance, token, sha256, blob);
    }

    [Fact]
    public async Task A_blob_the_hub_sends_with_other_bytes_is_never_offered_and_is_fetched_again_from_zero()
    {
        // Arrange: the hub's stored file gets one byte flipped after the upload (a bad disk, a tampered mirror)
        await using var hubWithSite = await HubWithSite.StartAsync("DC Tamper");
        var (hub, siteId, credential, edgeDirectory) = hubWithSite;
        await using var appliance = await StartApplianceAsync(edgeDirectory, hub.GrpcUrl, credential);
        var (blob, sha256) = await UploadAsync(hub, 1024 * 1024);
        var atHub = Path.Combine(hubWithSite.HubDirectory, "blobs", sha256);
        Assert.True(File.Exists(atHub), "the hub keeps blobs in " + Path.GetDirectoryName(atHub));
        var tampered = blob.ToArray();
        tampered[4096] ^= 0x5A;
        await File.WriteAllBytesAsync(atHub, tampered);
        await hub.PutBlueprintAsync("pickers", 411);
        var token = await hub.IssueTokenAsync(siteId, "pickers", uses: 5);

        // Act
        await hub.PutBlueprintAsync("pickers", 412);
        var refused = await WaitForCacheAsync(edgeDirectory, s => s.GetProperty("fetchFailures").GetInt64() >= 1, appliance);

        // Assert: nothing cached and a device is told to wait, not served the bytes
        Assert.Equal(0, refused.GetProperty("blobs").GetInt32());
        Assert.False(File.Exists(Path.Combine(edgeDirectory, "blobs", sha256)));
        using var device = appliance.CreateClient();
        device.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await Enrollments.WhenAcceptedAsync(device, token, "SN-PKG-1")).DeviceSecret);
        using (var early = await device.GetAsync(new Uri("/api/v1/packages/" + sha256, UriKind.Relative)))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);

        // ...and once the hub has the right bytes again, the site gets them whole
        await File.WriteAllBytesAsync(atHub, blob);
        await WaitForCacheAsync(edgeDirectory, s => s.GetProperty("blobs").GetInt32() == 1, appliance);
        Assert.Equal(blob, await device.GetByteArrayAsync(new Uri("/api/v1/packages/" + sha256, UriKind.Relative)));
    }

    private static async Task<ServerProcess> StartApplianceAsync(string edgeDirectory, Uri hubUrl, string credential, params string[] extra)
    {
        var url = ServerProcess.FreeLoopbackUrl(Uri.UriSchemeHttps);
        return await ServerProcess.StartAsync(
            Processes.EdgeDll,
            ["serve", "--data-dir", edgeDirectory, "--urls", url.ToString().TrimEnd('/'), "--hub", hubUrl.ToString().TrimEnd('/'),
                "--site-credential-file", ApplianceProcess.SiteCredentialFile(edgeDirectory, credential), "--sync-interval", "1", "--sync-retry-max", "2", .. extra],
            url, environment: null, CancellationToken.None, () => ServerProcess.SitePin(edgeDirectory));
    }

    /// <summary>Uploads <paramref name="size"/> random bytes as com.edgemdm.sample.scanner 412 through the hub's REST API.</summary>
    private static async Task<(byte[] Blob, string Sha256)> UploadAsync(HubProcess hub, int size)
    {
        var blob = new byte[size];
        new Random(412).NextBytes(blob);
        using var upload = new ByteArrayContent(blob);
        upload.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var uploaded = await hub.Rest.PostAsync(new Uri("/api/v1/packages?packageName=com.edgemdm.sample.scanner&versionCode=412&versionName=4.1.2", UriKind.Relative), upload);
        Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
        return (blob, Convert.ToHexStringLower(SHA256.HashData(blob)));
    }

    private static async Task DeviceDownloadsTheTailAsync(ServerProcess appliance, string token, string sha256, byte[] blob)
    {
        using var device = appliance.CreateClient();
        var enrolled = await Enrollments.WhenAcceptedAsync(device, token, "SN-PKG-1");
        device.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", enrolled.DeviceSecret);
        var declarations = (await device.GetFromJsonAsync("/api/v1/declarations", DeviceProtocolJson.Default.DeclarationsDocument))!;
        var package = Assert.IsType<AppPackage>(Assert.Single(declarations.Apps).Package);
        Assert.Equal(("/api/v1/packages/" + sha256, (long)BlobBytes), (package.DownloadPath, package.SizeBytes));
        Assert.Equal(enrolled.PackageSigningKey, declarations.PackageSigningKey);
        Assert.NotNull(declarations.PackageSigningKey);
        using var ranged = new HttpRequestMessage(HttpMethod.Get, package.DownloadPath);
        ranged.Headers.Range = new RangeHeaderValue(BlobBytes - 100_000, null);
        using var response = await device.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(blob[(BlobBytes - 100_000)..], await response.Content.ReadAsByteArrayAsync());
    }

    private static async Task<JsonElement> WaitForCacheAsync(string edgeDirectory, Func<JsonElement, bool> done, ServerProcess appliance)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var result = await Processes.RunAsync(Processes.EdgeDll, ["cache", "status", "--json", "--data-dir", edgeDirectory], TimeSpan.FromSeconds(60));
            Assert.True(result.ExitCode == 0, result.Stderr);
            var status = JsonDocument.Parse(result.Stdout).RootElement.Clone();
            if (done(status))
                return status;
            Assert.True(DateTime.UtcNow < deadline, "cache never got there: " + result.Stdout + "\n" + appliance.Output);
            await Task.Delay(500);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, Func<string> log)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"never saw {what}:\n{log()}");
            await Task.Delay(20);
        }
    }

    [GeneratedRegex(@"Fetching package blob [0-9a-f]{64} \(com\.edgemdm\.sample\.scanner 412\) from byte (?<offset>\d+) of", RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ResumedOffsets();
}
