using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.DataProtection;

namespace EdgeMdm.Edge.Blueprints;

/// <summary>
/// Each group's blueprint (table <c>blueprints</c>): desired state, owned by the hub (its feed) or, on a site without
/// one, the seed file. Changes become visible to devices only when the declarations are reloaded after the commit.
/// </summary>
public interface IBlueprints
{
    /// <summary>Every stored blueprint, as committed.</summary>
    IReadOnlyList<Blueprint> LoadAll();

    /// <summary>
    /// Stores a group's blueprint in the caller's unit; the same blueprint again leaves the row as it is. Compared
    /// whole, not by declarations token: a new rollout id or plan for the same version is a change.
    /// </summary>
    void Upsert(UnitOfWork unit, Blueprint blueprint, long atMs);
}

/// <summary>
/// Keeps each blueprint's JSON (its configuration payloads hold Wi-Fi passphrases and managed-config secrets) protected
/// by Data Protection (key ring <c>DATA/keys</c>, purpose <c>EdgeMdm.Edge.Blueprints.v1</c>), as staging plans are; every
/// read goes through <see cref="Open"/>, which also reads a row an older appliance stored in clear (such rows are
/// protected in place at start, <see cref="BlueprintReprotection"/>).
/// </summary>
internal sealed class BlueprintStore(EdgeStorage storage, IDataProtectionProvider protection) : IBlueprints, IFeedHandler
{
    private readonly IDataProtector _protector = protection.CreateProtector("EdgeMdm.Edge.Blueprints.v1");

    public IReadOnlyCollection<HubChange.ChangeOneofCase> Kinds { get; } =
        [HubChange.ChangeOneofCase.BlueprintUpserted, HubChange.ChangeOneofCase.BlueprintDeleted];

    public IReadOnlyList<Blueprint> LoadAll() =>
        storage.Read(db => db.Query<BlueprintRow>("SELECT group_name AS GroupName, blueprint AS Blueprint FROM blueprints"))
            .Select(row => JsonSerializer.Deserialize(Open(row.Blueprint), BlueprintJson.Default.Blueprint)
                ?? throw new InvalidDataException("stored blueprint of group " + row.GroupName + " is empty"))
            .ToList();

    public void Upsert(UnitOfWork unit, Blueprint blueprint, long atMs)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(blueprint);
        var json = JsonSerializer.Serialize(blueprint, BlueprintJson.Default.Blueprint);
        // Protected values differ on every write, so "the same blueprint again" is decided on the clear JSON.
        var held = unit.Db.Query<BlueprintRow>("SELECT blueprint AS Blueprint FROM blueprints WHERE group_name = ?", blueprint.Group);
        if (held.Count == 1 && !IsClear(held[0].Blueprint) && string.Equals(Open(held[0].Blueprint), json, StringComparison.Ordinal))
            return;
        unit.Db.Execute(
            """
            INSERT INTO blueprints (group_name, blueprint, declarations_token, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (group_name) DO UPDATE SET blueprint = excluded.blueprint,
                declarations_token = excluded.declarations_token, updated_at = excluded.updated_at
            """,
            blueprint.Group, _protector.Protect(json), blueprint.ToDeclarations().Token, atMs);
    }

    /// <summary>Protects in place, in <paramref name="unit"/>, every row an older appliance stored in clear; how many.</summary>
    public int ProtectClearRows(UnitOfWork unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var clear = unit.Db.Query<BlueprintRow>("SELECT group_name AS GroupName, blueprint AS Blueprint FROM blueprints WHERE blueprint LIKE '{%'");
        foreach (var row in clear)
            unit.Db.Execute("UPDATE blueprints SET blueprint = ? WHERE group_name = ?", _protector.Protect(row.Blueprint), row.GroupName);
        return clear.Count;
    }

    /// <summary>A stored value an older appliance wrote in clear (a protected value is base64url and never starts with <c>{</c>).</summary>
    private static bool IsClear(string stored) => stored.StartsWith('{');

    /// <summary>The clear JSON of a stored value, protected or clear.</summary>
    private string Open(string stored) => IsClear(stored) ? stored : _protector.Unprotect(stored);

    public bool Apply(UnitOfWork unit, HubChange change)
    {
        if (change.ChangeCase == HubChange.ChangeOneofCase.BlueprintDeleted)
        {
            unit.Db.Execute("DELETE FROM blueprints WHERE group_name = ?", change.BlueprintDeleted.Group);
            return true;
        }

        var blueprint = JsonSerializer.Deserialize(change.BlueprintUpserted.BlueprintJson, BlueprintJson.Default.Blueprint)
            ?? throw new InvalidDataException("blueprint of group " + change.BlueprintUpserted.Group + " is empty");
        // The message's group is the key; the JSON's own group field cannot move it elsewhere.
        Upsert(unit, blueprint with { Group = change.BlueprintUpserted.Group }, change.AtUnixMs);
        return true;
    }

    private sealed class BlueprintRow
    {
        public string GroupName { get; set; } = "";
        public string Blueprint { get; set; } = "";
    }
}

/// <summary>How a blueprint is stored: the same JSON the hub sends.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Blueprint))]
internal sealed partial class BlueprintJson : JsonSerializerContext;

public static class BlueprintRegistration
{
    public static IServiceCollection AddBlueprints(this IServiceCollection services) =>
        services.AddSingletonServing<BlueprintStore>(typeof(IBlueprints), typeof(IFeedHandler))
            .AddHostedService<BlueprintReprotection>();
}
