using System.Text;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Domain.Tests.Packages;

public sealed class PackageManifestTests
{
    internal static readonly string Hash = new('a', 64);

    internal static PackageManifest Valid() => new(
        Hash, "com.acme.scan", 412, "4.1.2", 1_048_576, "13", new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_complete_manifest_is_valid()
    {
        // Act
        var errors = Valid().Validate();

        // Assert
        Assert.Empty(errors);
        Assert.True(Valid().IsValid());
    }

    [Theory]
    [InlineData("sha256")]
    [InlineData("packageName")]
    [InlineData("versionCode")]
    [InlineData("versionName")]
    [InlineData("sizeBytes")]
    [InlineData("minOsVersion")]
    [InlineData("publishedAt")]
    public void Each_bad_field_is_named(string field)
    {
        // Arrange
        var manifest = field switch
        {
            "sha256" => Valid() with { Sha256 = new string('A', 64) },
            "packageName" => Valid() with { PackageName = "scan" },
            "versionCode" => Valid() with { VersionCode = 0 },
            "versionName" => Valid() with { VersionName = " " },
            "sizeBytes" => Valid() with { SizeBytes = 0 },
            "minOsVersion" => Valid() with { MinOsVersion = "13-beta" },
            _ => Valid() with { PublishedAt = Valid().PublishedAt.AddMilliseconds(1) },
        };

        // Act
        var errors = manifest.Validate();

        // Assert
        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void Missing_members_from_json_are_reported_not_thrown_on()
    {
        // Arrange: what a deserializer leaves behind for a manifest with no members at all
        var empty = new PackageManifest(null!, null!, 0, null!, 0, null, default);

        // Act
        var errors = empty.Validate();

        // Assert
        Assert.Equal(["packageName", "sha256", "sizeBytes", "versionCode", "versionName"], errors.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true)]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", false)]
    [InlineData("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", false)]
    [InlineData("g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    public void A_sha256_is_64_lowercase_hex_characters(string? text, bool valid) =>
        Assert.Equal(valid, PackageManifest.IsSha256Hex(text));

    [Theory]
    [InlineData("com.acme.scan", true)]
    [InlineData("a.b", true)]
    [InlineData("com.acme_2.Scan9", true)]
    [InlineData("scan", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("com..scan", false)]
    [InlineData(".com.scan", false)]
    [InlineData("com.scan.", false)]
    [InlineData("com.2acme.scan", false)]
    [InlineData("com._acme.scan", false)]
    [InlineData("com.acme-scan.app", false)]
    [InlineData("com.acme.scän", false)]
    [InlineData("com.acme/../scan", false)]
    public void Package_names_follow_the_android_rule(string? name, bool valid) =>
        Assert.Equal(valid, PackageNames.IsValid(name));

    [Fact]
    public void Package_names_are_at_most_255_characters()
    {
        var longest = "a." + new string('b', 253);
        Assert.True(PackageNames.IsValid(longest));
        Assert.False(PackageNames.IsValid(longest + "c"));
    }

    [Fact]
    public void Canonical_bytes_are_sorted_compact_json_of_strings()
    {
        // Arrange: agents in other languages rebuild these bytes, so they are part of the contract.
        var expected = "{\"minOsVersion\":\"13\",\"packageName\":\"com.acme.scan\",\"publishedAt\":\"2026-06-01T08:00:00Z\","
            + "\"schema\":\"edgemdm.package-manifest.v1\",\"sha256\":\"" + Hash + "\",\"sizeBytes\":\"1048576\","
            + "\"versionCode\":\"412\",\"versionName\":\"4.1.2\"}";

        // Act
        var bytes = Valid().CanonicalBytes();

        // Assert
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Canonical_bytes_leave_out_an_absent_minimum_os_and_keep_text_unescaped()
    {
        // Arrange
        var manifest = Valid() with { MinOsVersion = null, VersionName = "4.1.2 \"café\"" };

        // Act
        var text = Encoding.UTF8.GetString(manifest.CanonicalBytes());

        // Assert
        Assert.DoesNotContain("minOsVersion", text, StringComparison.Ordinal);
        Assert.Contains("\"versionName\":\"4.1.2 \\\"café\\\"\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Canonical_bytes_do_not_depend_on_the_offset_the_time_was_written_in()
    {
        // Arrange: the same instant, seen from Berlin in summer
        var utc = Valid();
        var berlin = utc with { PublishedAt = utc.PublishedAt.ToOffset(TimeSpan.FromHours(2)) };

        // Act / Assert
        Assert.Equal(utc.CanonicalBytes(), berlin.CanonicalBytes());
    }
}
