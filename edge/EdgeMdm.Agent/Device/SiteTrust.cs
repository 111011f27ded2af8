using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Agent;

/// <summary>
/// What a device trusts of its site's signatures (docs/security.md, signed desired state): the site key, by the SHA-256 of
/// its SubjectPublicKeyInfo (the TLS pin the device was given, or, without one, the first signing key it saw: trust on
/// first use, like the package signing key), and the declaration set it verified and runs (version and digest), so an
/// older set or the same version with other content is refused. Not thread-safe: one agent loop drives one.
/// </summary>
/// <param name="deviceId">This device: a set or command signed for another is refused.</param>
/// <param name="keySha256">The pinned site key (hex SHA-256 of its SubjectPublicKeyInfo); null: pin the first one seen.</param>
/// <param name="held">The set held before a restart (the agent's state file); null: none yet.</param>
public sealed class SiteTrust(string deviceId, string? keySha256 = null, HeldDeclarations? held = null)
{
    public string DeviceId { get; } = deviceId;

    /// <summary>The site key signatures must be made by; null until the first signed item pinned one.</summary>
    public string? KeySha256 { get; private set; } = keySha256;

    /// <summary>The verified set the device runs; null before the first.</summary>
    public HeldDeclarations? Held { get; private set; } = held;

    /// <summary>Checks a fetched set; nothing changes until the caller <see cref="Accept"/>s an accepted verdict.</summary>
    public DeclarationsVerdict Check(DeclarationsDocument document) => DeclarationSetSignature.Check(document, DeviceId, KeySha256, Held);

    public void Accept(DeclarationsVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (!verdict.Accepted)
            throw new ArgumentException("a refused declaration set cannot be held", nameof(verdict));
        KeySha256 ??= verdict.SignerKeySha256;
        Held = verdict.Held;
    }

    /// <summary>Null when the command may be carried out (pinning its signer when nothing was pinned yet); else why not.</summary>
    public string? WhyRefused(DeviceCommand command)
    {
        var why = CommandSignature.WhyRefused(command, DeviceId, KeySha256);
        if (why is null)
            KeySha256 ??= SigningKeys.KeySha256(command.SignerKey);
        return why;
    }
}

/// <summary>A declaration set or command the agent refused because its signature, signer, device or version was wrong.</summary>
public sealed class SignatureRefusedException : Exception
{
    public SignatureRefusedException()
    {
    }

    public SignatureRefusedException(string message)
        : base(message)
    {
    }

    public SignatureRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
