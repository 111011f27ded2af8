using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;

namespace EdgeMdm.Contracts.Sync;

/// <summary>
/// The bytes the hub signs and the appliance verifies for each <see cref="HubChange"/> (sync.proto), one definition
/// for both ends. Each form starts with its own tag, so a signature over one kind of content can never pass for another.
/// </summary>
public static class FeedSignatures
{
    private static readonly byte[] ChangeTag = Encoding.UTF8.GetBytes("edgemdm-feed-change-v1\n");
    private static readonly byte[] EndorsementTag = Encoding.UTF8.GetBytes("edgemdm-hub-key-v1\n");

    /// <summary>
    /// The change's protobuf encoding with <c>signature</c> and <c>key_id</c> cleared: position, time and
    /// <c>site_id</c> are in it, so the signature binds the item to its place in one site's feed. Two parts are
    /// normalised because they legitimately differ between the signed and the delivered form: a command's
    /// parameters are put in ordinal key order (a map's order on the wire is not part of its meaning), and a staging
    /// plan's JSON (held protected in the hub's feed, clear on the wire) is left out: its <c>plan_hash</c>, the plan's
    /// content hash, is signed instead and the appliance checks the clear JSON against it. A blueprint's JSON is
    /// treated the same way when the row carries its <c>blueprint_sha256</c> (<see cref="BlueprintSha256"/>); a row
    /// from before that field was signed over the clear JSON and keeps that form, so feeds already written still verify.
    /// </summary>
    public static byte[] CanonicalBytes(HubChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var canonical = change.Clone();
        canonical.Signature = ByteString.Empty;
        canonical.KeyId = "";
        switch (canonical.ChangeCase)
        {
            case HubChange.ChangeOneofCase.StagingPlanUpserted:
                canonical.StagingPlanUpserted.PlanJson = "";
                canonical.StagingPlanUpserted.PlanJsonProtected = "";
                break;
            case HubChange.ChangeOneofCase.BlueprintUpserted:
                if (canonical.BlueprintUpserted.BlueprintSha256.Length > 0)
                    canonical.BlueprintUpserted.BlueprintJson = "";
                canonical.BlueprintUpserted.BlueprintJsonProtected = "";
                break;
            case HubChange.ChangeOneofCase.CommandQueued:
                var sorted = canonical.CommandQueued.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                canonical.CommandQueued.Parameters.Clear();
                foreach (var (key, value) in sorted)
                    canonical.CommandQueued.Parameters.Add(key, value);
                break;
        }

        return [.. ChangeTag, .. canonical.ToByteArray()];
    }

    /// <summary>The content hash of a blueprint's JSON as it travels: SHA-256 of its UTF-8 bytes, lowercase hex.</summary>
    public static string BlueprintSha256(string blueprintJson)
    {
        ArgumentNullException.ThrowIfNull(blueprintJson);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(blueprintJson)));
    }

    /// <summary>
    /// Whether a blueprint upsert's clear JSON is the one its signed hash names; true for a row from before the hash,
    /// whose signature covers the JSON itself.
    /// </summary>
    public static bool BlueprintMatchesItsHash(BlueprintUpserted upserted)
    {
        ArgumentNullException.ThrowIfNull(upserted);
        return upserted.BlueprintSha256.Length == 0
            || string.Equals(BlueprintSha256(upserted.BlueprintJson), upserted.BlueprintSha256, StringComparison.Ordinal);
    }

    /// <summary>What the previous key signs to endorse its successor (<see cref="HubKeyTrusted.Endorsement"/>).</summary>
    public static byte[] EndorsementBytes(string keyId, string publicKeyPem)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        ArgumentNullException.ThrowIfNull(publicKeyPem);
        return [.. EndorsementTag, .. Encoding.UTF8.GetBytes(keyId + "\n" + publicKeyPem)];
    }
}
