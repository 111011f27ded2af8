using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Domain.Security;

/// <summary>
/// Commands the site hands a device, signed by the site and attributed (docs/security.md, signed desired state): the
/// signature covers the command id, the device id, the type, the parameters in ordinal key order, the expiry, who issued
/// it and where (hub or site), so a command changed on the way, moved to another device or passed off as another
/// person's does not verify. Pure: no I/O, the key is handed in.
/// </summary>
public static class CommandSignature
{
    public const string OriginHub = "hub";
    public const string OriginSite = "site";

    private const string Tag = "edgemdm-device-command-v1";

    /// <summary>The exact bytes signed: every member but <see cref="DeviceCommand.Signature"/> and <see cref="DeviceCommand.SignerKey"/>.</summary>
    public static byte[] CanonicalBytes(DeviceCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new CanonicalFields(Tag)
            .Text(command.Id)
            .Text(command.DeviceId)
            .Text(command.Type)
            .Map(command.Parameters)
            .Time(command.ExpiresAt)
            .Text(command.IssuedBy)
            .Text(command.Origin)
            .ToArray();
    }

    /// <summary>The command for <paramref name="deviceId"/>, issued by <paramref name="issuedBy"/> from <paramref name="origin"/>, signed.</summary>
    public static DeviceCommand Sign(DeviceCommand command, string deviceId, string issuedBy, string origin, SiteSigningKey key)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentException.ThrowIfNullOrEmpty(issuedBy);
        ArgumentException.ThrowIfNullOrEmpty(origin);
        ArgumentNullException.ThrowIfNull(key);
        var unsigned = command with { DeviceId = deviceId, IssuedBy = issuedBy, Origin = origin, SignerKey = key.SubjectPublicKeyInfo, Signature = null };
        return unsigned with { Signature = key.Sign(CanonicalBytes(unsigned)) };
    }

    /// <summary>
    /// Null when the agent may carry the command out: signed by the trusted key (<paramref name="trustedKeySha256"/>; null:
    /// any key, the caller pins it), unchanged, and for <paramref name="deviceId"/>; else why not, one line.
    /// </summary>
    public static string? WhyRefused(DeviceCommand command, string deviceId, string? trustedKeySha256)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Signature is null || command.SignerKey is null)
            return "refused: the command is not signed by the site";
        if (SigningKeys.TrustedSigner(command.SignerKey, trustedKeySha256, out var signer) is null)
            return $"refused: the command is signed by key {DeclarationSetSignature.Short(signer)}, not by the site key this device trusts ({DeclarationSetSignature.Short(trustedKeySha256)})";
        if (!SigningKeys.Verify(command.SignerKey, CanonicalBytes(command), command.Signature))
            return "refused: the command's signature does not verify (changed after the site signed it)";
        if (!string.Equals(command.DeviceId, deviceId, StringComparison.Ordinal))
            return $"refused: the command is signed for device {command.DeviceId}, not for this device";
        return null;
    }
}
