namespace EdgeMdm.Drills;

/// <summary>Every drill <c>make drills</c> knows, in the order it runs them. One line each.</summary>
internal static class DrillCatalog
{
    public static IReadOnlyList<IDrill> All { get; } =
    [
        new PowerCutDrill(),
        new PowerLossDrill(),
        new Faults.UplinkFlapDrill(),
        new Faults.DiskFullDrill(),
        new Faults.HubRollbackDrill(),
        new Faults.HubRollbackDrill(postgres: true),
        new Faults.ClockJumpDrill(),
        new Faults.ReplaceFromBackupDrill(),
    ];
}
