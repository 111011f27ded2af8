using Microsoft.AspNetCore.DataProtection;

namespace EdgeMdm.Cloud.Packages;

/// <summary>
/// The one place the hub turns the package signing key's PKCS#8 PEM into what <c>signing_keys.private_key_pem</c>
/// holds and back: protected with the hub's Data Protection key ring (<c>Storage/HubKeyRing</c>), so a copy of the
/// database alone signs nothing. A hub from before this step stored the PEM in clear; <see cref="IsClear"/> tells
/// such a row apart (a protected value is base64url and never starts with a PEM header) so the store re-protects it.
/// </summary>
internal sealed class SigningKeyProtection(IDataProtectionProvider provider)
{
    private const string PemHeader = "-----BEGIN";

    private readonly IDataProtector _protector = provider.CreateProtector("EdgeMdm.Cloud.SigningKeys.v1");

    public static bool IsClear(string stored) => stored.TrimStart().StartsWith(PemHeader, StringComparison.Ordinal);

    public string Protect(string pkcs8Pem) => _protector.Protect(pkcs8Pem);

    /// <summary>The PEM of a stored value, whether protected or (before it is re-protected) clear.</summary>
    public string Unprotect(string stored) => IsClear(stored) ? stored : _protector.Unprotect(stored);
}
