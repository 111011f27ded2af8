using EdgeMdm.Contracts.Sync;
using Microsoft.AspNetCore.DataProtection;

namespace EdgeMdm.Cloud.Catalog;

/// <summary>
/// The one place the hub turns a blueprint's clear JSON (its configuration payloads hold Wi-Fi passphrases and
/// managed-config secrets) into what it keeps at rest and back: protected with the hub's Data Protection key ring
/// (<c>Storage/HubKeyRing</c>), purpose of its own. <c>blueprints.blueprint_json</c> and the feed row
/// <see cref="BlueprintUpserted"/> hold only the protected form; the clear form exists in memory and in the gRPC
/// message to a site. A hub from before this stored the JSON in clear: <see cref="IsClear"/> tells such a value apart
/// (a protected value is base64url and never starts with <c>{</c>), <see cref="Open"/> reads both, and
/// <see cref="BlueprintReprotection"/> protects them in place at start.
/// </summary>
public sealed class BlueprintProtection(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("EdgeMdm.Cloud.Blueprints.v1");

    /// <summary>Whether a stored value is clear JSON as an older hub wrote it.</summary>
    public static bool IsClear(string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return stored.StartsWith('{');
    }

    public string Protect(string clearJson) => _protector.Protect(clearJson);

    /// <summary>The clear JSON of a stored value, whether protected or (before it is re-protected) clear.</summary>
    public string Open(string stored) => IsClear(stored) ? stored : _protector.Unprotect(stored);

    /// <summary>
    /// The feed row of an upsert: the JSON's content hash (signed in its stead, <see cref="FeedSignatures"/>) and the
    /// JSON protected, no clear JSON.
    /// </summary>
    public HubChange FeedRow(string group, string clearJson) => new()
    {
        BlueprintUpserted = new() { Group = group, BlueprintSha256 = FeedSignatures.BlueprintSha256(clearJson), BlueprintJsonProtected = Protect(clearJson) },
    };

    /// <summary>
    /// A feed row as it goes to its site: an upsert's protected blueprint turned into the clear JSON, the protected
    /// form dropped. Any other change, and an upsert written in clear by an older hub, is returned as read.
    /// </summary>
    public HubChange ForSite(HubChange row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.ChangeCase != HubChange.ChangeOneofCase.BlueprintUpserted || row.BlueprintUpserted.BlueprintJsonProtected.Length == 0)
            return row;
        var sent = row.Clone();
        sent.BlueprintUpserted.BlueprintJson = _protector.Unprotect(row.BlueprintUpserted.BlueprintJsonProtected);
        sent.BlueprintUpserted.BlueprintJsonProtected = "";
        return sent;
    }

    /// <summary>
    /// A feed row an older hub wrote with the JSON in clear, the JSON moved into its protected form; null for any other
    /// row. Its signature covered the clear JSON (no <c>blueprint_sha256</c>): <see cref="ForSite"/> gives back exactly
    /// that JSON, so the row still verifies at its site.
    /// </summary>
    public HubChange? ProtectedOldRow(HubChange row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.ChangeCase != HubChange.ChangeOneofCase.BlueprintUpserted || row.BlueprintUpserted.BlueprintJson.Length == 0)
            return null;
        var stored = row.Clone();
        stored.BlueprintUpserted.BlueprintJsonProtected = Protect(row.BlueprintUpserted.BlueprintJson);
        stored.BlueprintUpserted.BlueprintJson = "";
        return stored;
    }
}
