using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Edge.Packages;

/// <summary>Declarations carry a package only when the site's key verifies its manifest, so a device is never sent to download something it would refuse anyway.</summary>
public static class PackageDeclarations
{
    public const string DownloadPathPrefix = "/api/v1/packages/";

    /// <summary>
    /// The blueprint's declarations with each app the site has a verified package for carrying it (under the
    /// manifest's version name), and the signing key. The token stays a content hash: the blueprint's own token when
    /// nothing was added, otherwise a hash over it, every added package (its sha256 and signature, which covers the
    /// rest of its manifest) and the key's id, so a device fetches the document again whenever any of them changes.
    /// </summary>
    public static DeclarationsDocument Declare(Blueprint blueprint, PackageCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(blueprint);
        ArgumentNullException.ThrowIfNull(catalog);
        var plain = blueprint.ToDeclarations();
        if (catalog.Key is null)
            return plain;

        var hashed = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["declarations"] = plain.Token,
            ["packageSigningKey"] = catalog.Key.KeyId,
        };
        var apps = new List<AppDeclaration>(plain.Apps.Count);
        foreach (var app in plain.Apps)
        {
            if (catalog.Verified.TryGetValue((app.PackageName, app.VersionCode), out var signed))
            {
                var manifest = signed.Manifest;
                // The agent rebuilds the signed manifest from the declaration, so its version name must be the
                // manifest's; the blueprint's is informational and may be written differently ("4.1.2" vs "v4.1.2").
                apps.Add(app with
                {
                    VersionName = manifest.VersionName,
                    Package = new AppPackage(
                        manifest.Sha256, manifest.SizeBytes, manifest.MinOsVersion, manifest.PublishedAt, signed.Signature,
                        DownloadPathPrefix + manifest.Sha256),
                });
                hashed["package:" + app.PackageName] = manifest.Sha256 + ":" + signed.Signature;
            }
            else
            {
                apps.Add(app);
            }
        }

        return plain with { Apps = apps, PackageSigningKey = catalog.Key.PublicKeyPem, Token = CanonicalHash.Of(hashed) };
    }
}
