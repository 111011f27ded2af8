using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Agent;

/// <summary>What became of a signing key the appliance offered.</summary>
public enum KeyOffer
{
    /// <summary>Nothing offered (the site does not know the hub's key yet).</summary>
    None,

    /// <summary>The first key: now pinned.</summary>
    Pinned,

    /// <summary>The key already pinned.</summary>
    Same,

    /// <summary>Another key than the pinned one, or not a P-256 public key: refused, the pin stays.</summary>
    Refused,
}

/// <summary>
/// Trust on first use for the hub's package signing key: the first key the appliance hands over (at
/// enrollment or in declarations) is pinned, and every package must verify against it. A later, different
/// key is refused and reported, never silently accepted: an appliance that could swap the key could make the
/// device install anything. Changing the key takes re-enrolling the device (a wipe), as for its secret.
/// </summary>
/// <remarks>Not thread-safe: one agent loop drives one pin.</remarks>
public sealed class SigningKeyPin
{
    /// <param name="pinnedPem">The key pinned in an earlier run (the agent's state file), or null.</param>
    /// <exception cref="ArgumentException">The saved key is not a P-256 public key.</exception>
    public SigningKeyPin(string? pinnedPem = null)
    {
        if (pinnedPem is not null)
        {
            Verifier = ManifestVerifier.FromPem(pinnedPem);
            PinnedPem = pinnedPem;
        }
    }

    /// <summary>The pinned key as the appliance sent it (what the state file keeps); null before the first.</summary>
    public string? PinnedPem { get; private set; }

    /// <summary>Checks manifests against the pinned key; null before a key is pinned.</summary>
    public ManifestVerifier? Verifier { get; private set; }

    /// <summary>The id (SHA-256 of the public key) of the last key refused, for the report; null when none was.</summary>
    public string? LastRefusedKeyId { get; private set; }

    /// <summary>Why the last refused key was refused, one line.</summary>
    public string? LastRefusal { get; private set; }

    public KeyOffer Offer(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem))
            return KeyOffer.None;
        ManifestVerifier offered;
        try
        {
            offered = ManifestVerifier.FromPem(pem);
        }
        catch (ArgumentException e)
        {
            LastRefusedKeyId = null;
            LastRefusal = "the appliance offered a package signing key that is not usable: " + e.Message;
            return KeyOffer.Refused;
        }

        if (Verifier is null)
        {
            Verifier = offered;
            PinnedPem = pem;
            return KeyOffer.Pinned;
        }

        if (string.Equals(Verifier.KeyId, offered.KeyId, StringComparison.Ordinal))
            return KeyOffer.Same;
        LastRefusedKeyId = offered.KeyId;
        LastRefusal = $"the appliance offered package signing key {offered.KeyId[..16]}…, but this device pinned {Verifier.KeyId[..16]}…; refused (re-enroll the device to trust a new key)";
        return KeyOffer.Refused;
    }
}
