using System.Globalization;
using System.Security.Cryptography;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Domain.Security;

/// <summary>Why an agent refused a declaration set (the wire names in <see cref="DeclarationsVerification.Refusal"/>).</summary>
public enum SignedStateRefusal
{
    /// <summary>No signature, no signer key, no version or no device id.</summary>
    NotSigned,

    /// <summary>Signed by a key other than the one the device trusts (its TLS pin, or the first key it saw).</summary>
    WrongKey,

    /// <summary>The signature does not verify: a field was changed after signing.</summary>
    BadSignature,

    /// <summary>A genuine set, signed for another device.</summary>
    OtherDevice,

    /// <summary>Older than the set the device holds.</summary>
    Rollback,

    /// <summary>The version the device holds, with other content.</summary>
    VersionReused,
}

/// <summary>The set a device holds: its version and the SHA-256 of its canonical bytes.</summary>
public sealed record HeldDeclarations(long Version, string Digest);

/// <summary>What an agent made of a declaration set; <see cref="Held"/> is what it holds once it takes an accepted one.</summary>
public sealed record DeclarationsVerdict(SignedStateRefusal? Refusal, string Message, string? SignerKeySha256, HeldDeclarations? Held)
{
    public bool Accepted => Refusal is null;
}

/// <summary>
/// A device's whole declaration set signed as one by its site (docs/security.md, signed desired state): the canonical
/// bytes cover the device id, the version, the token and every declaration field, so no piece of one device's set can
/// be moved into another's or into another version, and the agent's checks (<see cref="Check"/>) refuse a tampered,
/// unsigned, foreign or older set. Pure: no I/O, the key is handed in.
/// </summary>
public static class DeclarationSetSignature
{
    private const string Tag = "edgemdm-declaration-set-v1";

    /// <summary>
    /// The exact bytes signed: everything in the document but <see cref="DeclarationsDocument.Signature"/> and
    /// <see cref="DeclarationsDocument.SignerKey"/>. Null members (a document read from hostile JSON) are encoded, never
    /// thrown on.
    /// </summary>
    public static byte[] CanonicalBytes(DeclarationsDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new CanonicalFields(Tag)
            .Text(document.DeviceId)
            .Number(document.Version)
            .Text(document.Token)
            .Text(document.Group)
            .List(document.Apps, App)
            .Optional(document.Os, (f, os) => f.Text(os.MinVersion).Text(os.MinSecurityPatch?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)))
            .List(document.Configurations, (f, c) => f.Text(c.Id).Map(c.Payload).Text(c.Hash))
            .List(document.Certificates, (f, c) => f.Text(c.Name).Number(c.MinDaysValid))
            .Number(document.BatteryHealthFloorPercent)
            .Text(document.PackageSigningKey)
            .ToArray();
    }

    /// <summary>The document as <paramref name="deviceId"/>'s set at <paramref name="version"/>, signed by <paramref name="key"/>.</summary>
    public static DeclarationsDocument Sign(DeclarationsDocument document, string deviceId, long version, SiteSigningKey key)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        var unsigned = document with { DeviceId = deviceId, Version = version, SignerKey = key.SubjectPublicKeyInfo, Signature = null };
        return unsigned with { Signature = key.Sign(CanonicalBytes(unsigned)) };
    }

    /// <summary>
    /// The agent's checks, in order: signed at all, by the trusted key (<paramref name="trustedKeySha256"/>, the device's
    /// pin; null: any key, the caller then pins <see cref="DeclarationsVerdict.SignerKeySha256"/>), the signature holds,
    /// for this device, and not older than (nor the same version as, with other content) the set it holds.
    /// </summary>
    public static DeclarationsVerdict Check(DeclarationsDocument document, string deviceId, string? trustedKeySha256, HeldDeclarations? held)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (document.Signature is null || document.SignerKey is null || document.Version is null || document.DeviceId is null)
            return Refused(SignedStateRefusal.NotSigned, "the declaration set is not signed (no signature, signer, version or device id)");
        if (SigningKeys.TrustedSigner(document.SignerKey, trustedKeySha256, out var signer) is null)
            return Refused(SignedStateRefusal.WrongKey, $"the declaration set is signed by key {Short(signer)}, not by the site key this device trusts ({Short(trustedKeySha256)})");
        var bytes = CanonicalBytes(document);
        if (!SigningKeys.Verify(document.SignerKey, bytes, document.Signature))
            return Refused(SignedStateRefusal.BadSignature, "the declaration set's signature does not verify: it was changed after the site signed it");
        if (!string.Equals(document.DeviceId, deviceId, StringComparison.Ordinal))
            return Refused(SignedStateRefusal.OtherDevice, $"the declaration set is signed for device {document.DeviceId}, not for this device ({deviceId})");
        var version = document.Version.Value;
        var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (held is not null && version < held.Version)
            return Refused(SignedStateRefusal.Rollback, Invariant($"the declaration set is version {version}, older than version {held.Version} this device holds (rollback)"));
        if (held is not null && version == held.Version && !string.Equals(digest, held.Digest, StringComparison.Ordinal))
            return Refused(SignedStateRefusal.VersionReused, Invariant($"the declaration set reuses version {version} with other content than this device holds"));
        return new DeclarationsVerdict(null, Invariant($"declaration set version {version} verified"), signer, new HeldDeclarations(version, digest));
    }

    /// <summary>The wire name of a refusal (<see cref="DeclarationsVerification.Refusal"/>).</summary>
    public static string ToWire(this SignedStateRefusal refusal) => refusal switch
    {
        SignedStateRefusal.NotSigned => "unsigned",
        SignedStateRefusal.WrongKey => "wrong_key",
        SignedStateRefusal.BadSignature => "bad_signature",
        SignedStateRefusal.OtherDevice => "other_device",
        SignedStateRefusal.Rollback => "rollback",
        _ => "version_reused",
    };

    private static void App(CanonicalFields fields, AppDeclaration app) => fields
        .Text(app.PackageName).Number(app.VersionCode).Text(app.VersionName)
        .Optional(app.Package, (f, p) => f.Text(p.Sha256).Number(p.SizeBytes).Text(p.MinOsVersion).Time(p.PublishedAt).Text(p.Signature).Text(p.DownloadPath));

    private static DeclarationsVerdict Refused(SignedStateRefusal refusal, string message) => new(refusal, message, null, null);

    internal static string Short(string? keySha256) => keySha256 is { Length: > 16 } ? keySha256[..16] + "…" : keySha256 ?? "none";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
