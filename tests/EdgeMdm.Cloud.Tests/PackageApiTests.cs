using System.Net.Http.Headers;
using System.Security.Cryptography;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Tests;

/// <summary>The package catalog through the REST API on the real host, with the package limit set to 3 MiB.</summary>
public sealed class PackageApiTests() : HubPerTest("--max-package-bytes", MaxPackageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture))
{
    private const long MaxPackageBytes = 3 * 1024 * 1024;

    private string BlobDirectory => Path.Combine(Hub.Directory, "blobs");

    [Fact]
    public async Task An_upload_is_stored_under_its_sha256_and_answered_with_a_manifest_the_public_key_verifies()
    {
        // Arrange: a site to see the fan-out, and a file twice the size of any other REST body the hub accepts
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon DC");
        var file = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 17);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(file));

        // Act
        using var upload = await UploadAsync(file, "packageName=com.acme.scan&versionCode=412&versionName=4.1.2&minOs=11");
        var key = await Hub.Rest.GetFromJsonAsync<JsonNode>("/api/v1/signing-key");
        var shown = await Hub.Rest.GetFromJsonAsync<JsonNode>($"/api/v1/packages/{sha256}");
        var listed = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/packages?packageName=com.acme.scan");
        var otherName = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/packages?packageName=com.acme.other");

        // Assert
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.Equal($"/api/v1/packages/{sha256}", upload.Headers.Location?.OriginalString);
        var answer = (await upload.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal(
            (sha256, "com.acme.scan", 412L, "4.1.2", (long)file.Length, "11"),
            (Text(answer, "sha256"), Text(answer, "packageName"), answer["versionCode"]!.GetValue<long>(), Text(answer, "versionName"),
             answer["sizeBytes"]!.GetValue<long>(), Text(answer, "minOsVersion")));
        var publishedAt = answer["publishedAt"]!.GetValue<DateTimeOffset>();
        Assert.Equal(0, publishedAt.Ticks % TimeSpan.TicksPerSecond);
        var verifier = ManifestVerifier.FromPem(Text(key!, "publicKeyPem"));
        Assert.Equal((verifier.KeyId, verifier.KeyId), (Text(key!, "keyId"), Text(answer, "keyId")));
        var manifest = new PackageManifest(sha256, "com.acme.scan", 412, "4.1.2", file.Length, "11", publishedAt);
        Assert.True(verifier.Verify(new SignedManifest(manifest, Text(answer, "signature"))));
        Assert.Equal(answer.ToJsonString(), shown!.ToJsonString());
        Assert.Equal(answer.ToJsonString(), Assert.Single(listed!)!.ToJsonString());
        Assert.Empty(otherName!);
        Assert.Equal(file, await File.ReadAllBytesAsync(Path.Combine(BlobDirectory, sha256)));
        Assert.Empty(Directory.GetFiles(Path.Combine(BlobDirectory, "tmp")));
        var fed = (await Hub.Store.Feed.ReadFeedAsync(site.SiteId, 0, 10))[^1];
        Assert.Equal((sha256, Text(answer, "signature")), (fed.PackagePublished.Sha256, fed.PackagePublished.Signature));
    }

    [Fact]
    public async Task The_same_bytes_again_are_200_with_the_stored_manifest_and_other_bytes_for_the_version_are_409()
    {
        // Arrange
        var file = RandomNumberGenerator.GetBytes(5000);
        using var first = await UploadAsync(file, "packageName=com.acme.scan&versionCode=412&versionName=4.1.2");
        var stored = (await first.Content.ReadFromJsonAsync<JsonNode>())!;

        // Act
        using var again = await UploadAsync(file, "packageName=com.acme.scan&versionCode=412&versionName=4.1.2");
        using var otherBytes = await UploadAsync(RandomNumberGenerator.GetBytes(5000), "packageName=com.acme.scan&versionCode=412&versionName=4.1.2");
        using var sameBytesNewVersion = await UploadAsync(file, "packageName=com.acme.scan&versionCode=413&versionName=4.1.3");

        // Assert
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(stored.ToJsonString(), (await again.Content.ReadFromJsonAsync<JsonNode>())!.ToJsonString());
        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Conflict), (otherBytes.StatusCode, sameBytesNewVersion.StatusCode));
        Assert.Equal("application/problem+json", otherBytes.Content.Headers.ContentType?.MediaType);
        Assert.Contains("already published with other bytes", await DetailAsync(otherBytes), StringComparison.Ordinal);
        Assert.Contains("already published as com.acme.scan version 412", await DetailAsync(sameBytesNewVersion), StringComparison.Ordinal);
        Assert.Single(await Hub.Store.Packages.ListPackagesAsync(TenantIds.Default));
        Assert.Equal([Text(stored, "sha256")], Directory.GetFiles(BlobDirectory).Select(Path.GetFileName)); // the refused bytes were not kept
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_file_over_the_package_limit_is_413_and_leaves_nothing_behind(bool withContentLength)
    {
        // Arrange
        var file = new byte[MaxPackageBytes + 1];

        // Act
        using var upload = await UploadAsync(file, "packageName=com.acme.scan&versionCode=412&versionName=4.1.2", withContentLength);

        // Assert
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, upload.StatusCode);
        Assert.Contains("at most 3145728 bytes", await DetailAsync(upload), StringComparison.Ordinal);
        Assert.Empty(await Hub.Store.Packages.ListPackagesAsync(TenantIds.Default));
        Assert.Empty(Directory.GetFiles(BlobDirectory, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("versionCode=412&versionName=4.1.2", "packageName")]
    [InlineData("packageName=scan&versionCode=412&versionName=4.1.2", "packageName")]
    [InlineData("packageName=com.acme.scan&versionName=4.1.2", "versionCode")]
    [InlineData("packageName=com.acme.scan&versionCode=four&versionName=4.1.2", "versionCode")]
    [InlineData("packageName=com.acme.scan&versionCode=0&versionName=4.1.2", "versionCode")]
    [InlineData("packageName=com.acme.scan&versionCode=412", "versionName")]
    [InlineData("packageName=com.acme.scan&versionCode=412&versionName=4.1.2&minOs=eleven", "minOs")]
    public async Task A_bad_query_parameter_is_400_naming_it(string query, string field)
    {
        // Act
        using var upload = await UploadAsync([1, 2, 3], query);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, upload.StatusCode);
        var errors = (await upload.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!.AsObject();
        Assert.Equal([field], errors.Select(e => e.Key));
        Assert.Empty(await Hub.Store.Packages.ListPackagesAsync(TenantIds.Default));
    }

    [Fact]
    public async Task An_empty_file_is_400_and_a_body_that_is_not_octet_stream_is_415()
    {
        // Act
        using var empty = await UploadAsync([], "packageName=com.acme.scan&versionCode=412&versionName=4.1.2");
        using var json = await Hub.Rest.PostAsJsonAsync("/api/v1/packages?packageName=com.acme.scan&versionCode=412&versionName=4.1.2", new { file = "x" });

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(["body"], (await empty.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Empty(Directory.GetFiles(BlobDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Another_tenants_package_is_404_exactly_like_a_missing_one_and_never_listed()
    {
        // Arrange
        var file = RandomNumberGenerator.GetBytes(1000);
        using var upload = await UploadAsync(file, "packageName=com.acme.scan&versionCode=412&versionName=4.1.2");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(file));
        var globex = await Hub.Store.Tenants.AddTenantAsync("Globex");
        using var other = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await Hub.Store.AdminTokens.CreateApiTokenAsync(globex.TenantId, "globex-ci"));

        // Act
        using var theirs = await other.GetAsync(new Uri($"/api/v1/packages/{sha256}", UriKind.Relative));
        using var nowhere = await other.GetAsync(new Uri($"/api/v1/packages/{new string('0', 64)}", UriKind.Relative));
        var listed = await other.GetFromJsonAsync<JsonArray>("/api/v1/packages");

        // Assert
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (theirs.StatusCode, nowhere.StatusCode));
        Assert.Equal((await DetailAsync(nowhere)).Replace(new string('0', 64), "X", StringComparison.Ordinal), (await DetailAsync(theirs)).Replace(sha256, "X", StringComparison.Ordinal));
        Assert.Empty(listed!);
    }

    [Fact]
    public async Task Package_calls_need_an_api_token()
    {
        // Arrange
        using var anonymous = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        using var body = new ByteArrayContent([1, 2, 3]);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        // Act
        using var upload = await anonymous.PostAsync(new Uri("/api/v1/packages?packageName=com.acme.scan&versionCode=1&versionName=1", UriKind.Relative), body);
        using var list = await anonymous.GetAsync(new Uri("/api/v1/packages", UriKind.Relative));

        // Assert
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (upload.StatusCode, list.StatusCode));
        Assert.Empty(Directory.GetFiles(BlobDirectory, "*", SearchOption.AllDirectories));
    }

    private async Task<HttpResponseMessage> UploadAsync(byte[] file, string query, bool withContentLength = true)
    {
        HttpContent content = withContentLength ? new ByteArrayContent(file) : new StreamContent(new UnknownLengthStream(file));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using (content)
            return await Hub.Rest.PostAsync(new Uri("/api/v1/packages?" + query, UriKind.Relative), content);
    }

    private static string Text(JsonNode node, string name) => node[name]!.GetValue<string>();

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!.GetValue<string>();

    /// <summary>A stream that cannot tell its length, so HttpClient sends it chunked, without Content-Length.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
