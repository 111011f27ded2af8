namespace EdgeMdm.Domain.Security;

/// <summary>
/// What a site user may do at the appliance's local web page: a supervisor runs the site (enrollment
/// tokens, lifecycle moves), an operator works the floor. The hub owns the users; the site only checks them.
/// </summary>
public static class SiteUserRoles
{
    public const string Supervisor = "supervisor";
    public const string Operator = "operator";

    public static IReadOnlyList<string> All { get; } = [Supervisor, Operator];

    public static bool IsKnown(string? role) => role is Supervisor or Operator;
}
