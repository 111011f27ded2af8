using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.SiteTls;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Staging.Batches;

/// <summary>One slot's code: the fields and the exact text its QR code encodes.</summary>
public sealed record SlotCode(int Slot, EnrollmentCode Code, string Payload);

/// <summary>
/// Makes a batch's staging codes: the EdgeMdm fields signed with the site CA's key, inside an Android Enterprise
/// provisioning payload whose device-admin download points at this appliance's own cache of the agent package.
/// </summary>
public sealed class EnrollmentCodes(SiteCertificates certificates, IPackageCatalog catalog, IOptions<StagingBatchOptions> options)
{
    /// <summary>The path, under an appliance URL, of the anonymous agent download.</summary>
    public const string AgentPackagePath = "api/v1/staging/agent-package/";

    public string AgentPackageName => options.Value.AgentPackage;

    /// <summary>The newest verified manifest of the configured agent package, or null when the site's catalog has none.</summary>
    public SignedManifest? AgentPackage() => AgentPackageIn(catalog.Current, options.Value.AgentPackage);

    internal static SignedManifest? AgentPackageIn(PackageCatalog catalog, string packageName) =>
        catalog.Verified.Values
            .Where(p => string.Equals(p.Manifest.PackageName, packageName, StringComparison.Ordinal))
            .MaxBy(p => p.Manifest.VersionCode);

    /// <summary>The codes for slots 1..count of a batch, all with the same token.</summary>
    public IReadOnlyList<SlotCode> ForBatch(CreatedBatch created, IReadOnlyList<Uri> urls, string siteId)
    {
        ArgumentNullException.ThrowIfNull(created);
        ArgumentNullException.ThrowIfNull(urls);
        if (urls.Count == 0)
            throw new ArgumentException("a code needs at least one appliance URL", nameof(urls));
        var texts = urls.Select(u => u.GetLeftPart(UriPartial.Path).TrimEnd('/')).ToList();
        var pin = certificates.Pin;
        var download = AgentPackage() is { } agent
            ? new ProvisioningQr.AdminDownload(
                texts[0] + "/" + AgentPackagePath + agent.Manifest.Sha256,
                System.Buffers.Text.Base64Url.EncodeToString(Convert.FromHexString(agent.Manifest.Sha256)))
            : null;
        var batch = created.Batch;
        return Enumerable.Range(1, batch.Count).Select(slot =>
        {
            var signed = EnrollmentCode.SignedText(EnrollmentCode.CurrentVersion, texts, created.Token, siteId, batch.Id, slot, pin);
            var signature = System.Buffers.Text.Base64Url.EncodeToString(certificates.SignWithAuthority(signed));
            var code = new EnrollmentCode(EnrollmentCode.CurrentVersion, texts, created.Token, siteId, batch.Id, slot, pin, signature);
            return new SlotCode(slot, code, ProvisioningQr.Write(code, options.Value.AdminComponent, download));
        }).ToList();
    }
}
