namespace EdgeMdm.Domain.Security;

/// <summary>What a call to the hub does, as far as the roles care: the kind of action each endpoint declares.</summary>
public enum HubAction
{
    /// <summary>Reads: lists, reports, one object.</summary>
    Read,

    /// <summary>Fleet work: commands, blueprints, packages, staging plans, enrollment tokens, sites.</summary>
    Operate,

    /// <summary>The tenant's people and keys: central IT accounts, site users, API tokens for others.</summary>
    Administer,
}

/// <summary>
/// Central IT's roles at the hub and what each may do (the permission table of issue 27):
/// <list type="table">
/// <item><term><see cref="TenantAdmin"/></term><description>everything in its tenant: reads, fleet work, accounts, site users.</description></item>
/// <item><term><see cref="Operator"/></term><description>reads and fleet work, in every site of its tenant.</description></item>
/// <item><term><see cref="Viewer"/></term><description>reads only.</description></item>
/// <item><term><see cref="SiteOperator"/></term><description>reads and fleet work limited to the sites it is scoped to;
/// nothing tenant-wide (blueprints, packages, plans, new sites) but what an endpoint narrows to those sites itself.</description></item>
/// </list>
/// Accounts that existed before roles became tenant admins: that is what every token could do then.
/// </summary>
public static class HubRoles
{
    public const string TenantAdmin = "tenant-admin";
    public const string Operator = "operator";
    public const string Viewer = "viewer";
    public const string SiteOperator = "site-operator";

    /// <summary>Every role, strongest first.</summary>
    public static IReadOnlyList<string> All { get; } = [TenantAdmin, Operator, SiteOperator, Viewer];

    public static bool IsKnown(string? role) => role is TenantAdmin or Operator or Viewer or SiteOperator;

    /// <summary>Whether <paramref name="role"/> may do <paramref name="permission"/> at all (a site operator: at its sites).</summary>
    public static bool Allows(string? role, HubAction permission) => permission switch
    {
        HubAction.Read => IsKnown(role),
        HubAction.Operate => role is TenantAdmin or Operator or SiteOperator,
        HubAction.Administer => role is TenantAdmin,
        _ => false,
    };

    /// <summary>A site operator acts only at the sites of its scope; every other role at every site of its tenant.</summary>
    public static bool IsSiteScoped(string? role) => role is SiteOperator;

    /// <summary>
    /// Why a role and a site scope do not go together, or null when they do: a site operator names at least one site,
    /// the other roles none (they reach every site).
    /// </summary>
    public static string? ScopeProblem(string role, IReadOnlyCollection<string> sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        if (!IsKnown(role))
            return "must be " + string.Join(", ", All);
        if (IsSiteScoped(role) && sites.Count == 0)
            return $"a {SiteOperator} needs at least one site";
        if (!IsSiteScoped(role) && sites.Count > 0)
            return $"only a {SiteOperator} is limited to sites; a {role} reaches every site of its tenant";
        return null;
    }

    /// <summary>The site scope as one column: site ids joined by a space (site ids hold none), null for none.</summary>
    public static string? JoinScope(IEnumerable<string> sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        var joined = string.Join(' ', sites.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return joined.Length == 0 ? null : joined;
    }

    /// <summary>The site scope from its column (<see cref="JoinScope"/>).</summary>
    public static IReadOnlyList<string> SplitScope(string? column) =>
        column is null ? [] : column.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
