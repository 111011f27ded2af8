using System.Globalization;
using System.Text.Json;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Domain.Packages;

/// <summary>
/// What the hub says about one uploaded package file. The file itself is stored under its SHA-256, so the
/// manifest is the only link between "com.acme.scan 412" and the bytes; that is why it is signed, and why an
/// agent checks both the signature and the file's hash before installing anything.
/// </summary>
/// <param name="Sha256">Lowercase hex SHA-256 of the file (64 characters): its content address.</param>
/// <param name="PackageName">Android-style package name, <c>com.acme.scan</c> (see <see cref="PackageNames"/>).</param>
/// <param name="VersionCode">The integer version Android orders installs by; what blueprints and rollouts target.</param>
/// <param name="VersionName">The version people read, <c>4.1.2</c>; informational only.</param>
/// <param name="SizeBytes">Exact file size; checked before the hash so a truncated download says so.</param>
/// <param name="MinOsVersion">Oldest OS version the package installs on (dotted numbers, <c>13</c>, <c>8.1</c>); null = any.</param>
/// <param name="PublishedAt">When the hub published it, in whole seconds (the signed form has no fractions).</param>
public sealed record PackageManifest(
    string Sha256,
    string PackageName,
    long VersionCode,
    string VersionName,
    long SizeBytes,
    string? MinOsVersion,
    DateTimeOffset PublishedAt)
{
    /// <summary>
    /// Names what the signed bytes are, inside the bytes: a signature made for a manifest can never be replayed
    /// as a signature over some other document the same key signs later, and a future format gets a new value.
    /// </summary>
    public const string Schema = "edgemdm.package-manifest.v1";

    public const int MaxVersionNameLength = 100;

    /// <summary>
    /// Errors keyed by the field they name; empty when the manifest is valid. Null fields (a manifest read
    /// from JSON with missing members) are reported, never thrown on.
    /// </summary>
    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new FieldErrors();
        if (!IsSha256Hex(Sha256))
            errors.Add("sha256", "must be 64 lowercase hex characters (the file's SHA-256)");
        if (!PackageNames.IsValid(PackageName))
            errors.Add("packageName", PackageNames.Rule);
        if (VersionCode <= 0)
            errors.Add("versionCode", "must be a positive number");
        if (string.IsNullOrWhiteSpace(VersionName))
            errors.Add("versionName", "is required");
        else if (VersionName.Length > MaxVersionNameLength || VersionName.Any(char.IsControl))
            errors.Add("versionName", "must be at most 100 characters, none of them control characters");
        if (SizeBytes <= 0)
            errors.Add("sizeBytes", "must be more than 0 bytes");
        if (MinOsVersion is not null && !IsDottedNumber(MinOsVersion))
            errors.Add("minOsVersion", "must be dotted numbers such as 13 or 8.1, or absent for any OS");
        if (PublishedAt.Ticks % TimeSpan.TicksPerSecond != 0)
            errors.Add("publishedAt", "must be whole seconds (the signed form carries no fractions)");
        return errors.ToDictionary();
    }

    // A method, not a property, so that serializing the record never writes an "isValid" member.
    public bool IsValid() => Validate().Count == 0;

    /// <summary>
    /// The exact bytes that are signed and verified: UTF-8 compact JSON of one object whose members are all
    /// strings, in ordinal key order, escaped only where JSON requires it (the same canonical form as
    /// declarations tokens), e.g.
    /// <c>{"minOsVersion":"13","packageName":"com.acme.scan","publishedAt":"2026-06-01T08:00:00Z","schema":"edgemdm.package-manifest.v1","sha256":"…","sizeBytes":"1048576","versionCode":"412","versionName":"4.1.2"}</c>.
    /// Numbers are written as invariant decimal text and the time as UTC <c>yyyy-MM-ddTHH:mm:ssZ</c>, so the
    /// bytes do not depend on culture, offset, property order or platform; a null minimum OS is left out.
    /// </summary>
    public byte[] CanonicalBytes()
    {
        var members = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["schema"] = Schema,
            ["sha256"] = Sha256 ?? "",
            ["packageName"] = PackageName ?? "",
            ["versionCode"] = VersionCode.ToString(CultureInfo.InvariantCulture),
            ["versionName"] = VersionName ?? "",
            ["sizeBytes"] = SizeBytes.ToString(CultureInfo.InvariantCulture),
            ["publishedAt"] = PublishedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        if (MinOsVersion is not null)
            members["minOsVersion"] = MinOsVersion;
        return JsonSerializer.SerializeToUtf8Bytes(members, CanonicalJson.Canonical.SortedDictionaryStringString);
    }

    /// <summary>Whether <paramref name="text"/> is a SHA-256 in the form we store and compare: 64 lowercase hex characters.</summary>
    public static bool IsSha256Hex(string? text) =>
        text is { Length: 64 } && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static bool IsDottedNumber(string text) =>
        text.Length is > 0 and <= 32 && text.Split('.').All(part => part.Length > 0 && part.All(char.IsAsciiDigit));
}

/// <summary>
/// The Android package name rule: two or more dot-separated segments, each a letter followed by letters,
/// digits or '_' (<c>com.acme.scan</c>), at most 255 characters. Case-sensitive and compared ordinally, as
/// Android does; it is also what keeps a name safe in a path, a table and a log line.
/// </summary>
public static class PackageNames
{
    public const int MaxLength = 255;

    public const string Rule = "must be an Android package name: two or more dot-separated segments of letters, digits and '_', each starting with a letter (com.acme.scan)";

    public static bool IsValid(string? name)
    {
        if (name is not { Length: > 0 and <= MaxLength })
            return false;
        var segments = name.Split('.');
        return segments.Length >= 2
            && segments.All(s => s.Length > 0 && char.IsAsciiLetter(s[0]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'));
    }
}

/// <summary>
/// A manifest and the hub's signature over its <see cref="PackageManifest.CanonicalBytes"/>: base64 of the
/// 64-byte IEEE P1363 form (r || s) of an ECDSA P-256 / SHA-256 signature. P1363 rather than DER because it has
/// one fixed-size encoding, which any agent's crypto library can produce and check without ASN.1.
/// </summary>
public sealed record SignedManifest(PackageManifest Manifest, string Signature);
