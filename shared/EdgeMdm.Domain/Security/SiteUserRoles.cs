namespace EdgeMdm.Domain.Security;

/// <summary>
/// What a site user may do at the appliance: a supervisor runs the site (and alone may wipe or retire a device), a
/// technician works the floor (swaps, locks, staging), a viewer only looks. The hub owns the users; the site only
/// checks them. <see cref="Operator"/> is the name technicians had before viewers existed: still accepted, it acts
/// as a technician.
/// </summary>
public static class SiteUserRoles
{
    public const string Supervisor = "supervisor";
    public const string Technician = "technician";
    public const string Viewer = "viewer";
    public const string Operator = "operator";

    /// <summary>The roles a new site user may be given.</summary>
    public static IReadOnlyList<string> All { get; } = [Supervisor, Technician, Viewer];

    /// <summary>Every role a site user may hold, the older <see cref="Operator"/> included.</summary>
    public static IReadOnlyList<string> Known { get; } = [Supervisor, Technician, Viewer, Operator];

    /// <summary>The roles that may act on the floor (not only look).</summary>
    public static IReadOnlyList<string> Acting { get; } = [Supervisor, Technician, Operator];

    public static bool IsKnown(string? role) => role is Supervisor or Technician or Viewer or Operator;

    public static bool MayAct(string? role) => role is Supervisor or Technician or Operator;

    /// <summary>Only a supervisor wipes or retires: both end the device's working life at the site.</summary>
    public static bool MayDestroy(string? role) => role is Supervisor;

    /// <summary>Whether <paramref name="role"/> may order <paramref name="action"/>, and so approve another person's request of it.</summary>
    public static bool MayOrder(DangerousAction action, string? role) =>
        action is DangerousAction.Wipe or DangerousAction.Retire ? MayDestroy(role) : MayAct(role);
}
