using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Packages;

/// <summary>The packages and signing_keys rows, and the feed changes they become; shared by the Packages/ stores.</summary>
internal static class PackageRows
{
    public const string SelectPackage =
        "SELECT sha256, package_name, version_code, version_name, size_bytes, min_os_version, published_at, signature, key_id FROM packages";

    /// <summary>
    /// The key that signs: the first one created (there is one until keys rotate), as stored: protected
    /// (<see cref="SigningKeyProtection"/>), or clear PEM on a hub that has not re-protected it yet.
    /// </summary>
    public static async Task<string?> OldestKeyAsync(HubSession s) =>
        (await s.SingleOrDefaultAsync("SELECT private_key_pem FROM signing_keys ORDER BY created_at, key_id LIMIT 1"))?.Text(0);

    /// <summary>Whether a key is still stored as clear PEM (written by a hub from before their protection).</summary>
    public static async Task<bool> AnyClearKeyAsync(HubSession s) =>
        (await s.QueryAsync("SELECT private_key_pem FROM signing_keys")).Any(row => SigningKeyProtection.IsClear(row.Text(0)));

    public static async Task<PublishedPackage?> PackageOfAsync(HubSession s, string where, params object?[] args) =>
        await s.SingleOrDefaultAsync(SelectPackage + where, args) is { } row ? PackageOf(row) : null;

    public static PublishedPackage PackageOf(Row r) => new(
        new PackageManifest(r.Text(0), r.Text(1), r.Long(2), r.Text(3), r.Long(4), r.NullableText(5), DateTimeOffset.FromUnixTimeSeconds(r.Long(6))),
        r.Text(7),
        r.Text(8));

    public static HubChange SigningKeyChange(ManifestSigner signer) =>
        new() { SigningKey = new PackageSigningKey { PublicKeyPem = signer.PublicKeyPem, KeyId = signer.KeyId } };

    public static HubChange PublishedChange(PublishedPackage package) => new()
    {
        PackagePublished = new PackagePublished
        {
            Sha256 = package.Manifest.Sha256,
            PackageName = package.Manifest.PackageName,
            VersionCode = package.Manifest.VersionCode,
            VersionName = package.Manifest.VersionName,
            SizeBytes = package.Manifest.SizeBytes,
            MinOsVersion = package.Manifest.MinOsVersion ?? "",
            PublishedUnixSeconds = package.Manifest.PublishedAt.ToUnixTimeSeconds(),
            Signature = package.Signature,
        },
    };
}
