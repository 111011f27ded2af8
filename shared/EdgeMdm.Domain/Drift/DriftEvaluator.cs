using System.Globalization;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Domain.Drift;

public enum Severity
{
    Minor,
    Major,
    Critical,
}

/// <summary>One difference between what the blueprint wants and what the device reports.</summary>
/// <param name="Item">What is compared, e.g. <c>app:com.acme.scan</c>, <c>os.version</c>, <c>config:wifi</c>.</param>
public sealed record DriftFinding(string Item, string Expected, string Actual, Severity Severity);

public sealed record DriftReport(IReadOnlyList<DriftFinding> Findings)
{
    /// <summary>
    /// Compliant only when every item the blueprint names is reported and matches. Nothing reported is not
    /// compliant: "assigned" is never "compliant".
    /// </summary>
    public bool Compliant => Findings.Count == 0;
}

/// <summary>Blueprint × reported status → findings. Pure; the caller supplies the clock.</summary>
public static class DriftEvaluator
{
    public const string NotReported = "(not reported)";

    public static DriftReport Evaluate(Blueprint blueprint, DeviceStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(blueprint);
        ArgumentNullException.ThrowIfNull(status);
        var findings = new List<DriftFinding>();
        EvaluateApps(blueprint, status, findings);
        EvaluateOs(blueprint.Os, status.Os, findings);
        EvaluateConfigurations(blueprint, status, findings);
        EvaluateCertificates(blueprint, status, now, findings);
        EvaluateBattery(blueprint, status, findings);
        return new DriftReport(findings);
    }

    private static void EvaluateApps(Blueprint blueprint, DeviceStatus status, List<DriftFinding> findings)
    {
        foreach (var required in blueprint.Apps)
        {
            var item = "app:" + required.PackageName;
            var expected = Version(required.VersionCode, required.VersionName);
            var installed = status.Apps?.FirstOrDefault(a => string.Equals(a.PackageName, required.PackageName, StringComparison.Ordinal));
            if (status.Apps is null)
                findings.Add(new DriftFinding(item, expected, NotReported, Severity.Critical));
            else if (installed is null)
                findings.Add(new DriftFinding(item, expected, "(not installed)", Severity.Critical));
            else if (installed.VersionCode != required.VersionCode)
                findings.Add(new DriftFinding(item, expected, Version(installed.VersionCode ?? 0, installed.VersionName), Severity.Major));
        }
    }

    private static void EvaluateOs(OsFloor? floor, OsStatus? os, List<DriftFinding> findings)
    {
        if (floor is null)
            return;
        if (floor.MinVersion is not null)
        {
            var expected = ">= " + floor.MinVersion;
            if (os?.Version is null)
                findings.Add(new DriftFinding("os.version", expected, NotReported, Severity.Major));
            else if (VersionComparer.Compare(os.Version, floor.MinVersion) < 0)
                findings.Add(new DriftFinding("os.version", expected, os.Version, Severity.Major));
        }

        if (floor.MinSecurityPatch is { } minPatch)
        {
            var expected = ">= " + minPatch.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (os?.SecurityPatch is not { } patch)
                findings.Add(new DriftFinding("os.securityPatch", expected, NotReported, Severity.Major));
            else if (patch < minPatch)
                findings.Add(new DriftFinding("os.securityPatch", expected, patch.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Severity.Major));
        }
    }

    private static void EvaluateConfigurations(Blueprint blueprint, DeviceStatus status, List<DriftFinding> findings)
    {
        foreach (var configuration in blueprint.Configurations)
        {
            var item = "config:" + configuration.Id;
            var applied = status.Configurations?.FirstOrDefault(c => string.Equals(c.Id, configuration.Id, StringComparison.Ordinal));
            if (status.Configurations is null)
                findings.Add(new DriftFinding(item, configuration.Hash, NotReported, Severity.Major));
            else if (applied?.AppliedHash is null)
                findings.Add(new DriftFinding(item, configuration.Hash, "(not applied)", Severity.Major));
            else if (!string.Equals(applied.AppliedHash, configuration.Hash, StringComparison.Ordinal))
                findings.Add(new DriftFinding(item, configuration.Hash, applied.AppliedHash, Severity.Major));
        }
    }

    private static void EvaluateCertificates(Blueprint blueprint, DeviceStatus status, DateTimeOffset now, List<DriftFinding> findings)
    {
        foreach (var rule in blueprint.Certificates)
        {
            var item = "cert:" + rule.Name;
            var expected = $"valid >= {rule.MinDaysValid.ToString(CultureInfo.InvariantCulture)} days";
            var held = status.Certificates?.FirstOrDefault(c => string.Equals(c.Name, rule.Name, StringComparison.Ordinal));
            if (status.Certificates is null)
                findings.Add(new DriftFinding(item, expected, NotReported, Severity.Major));
            else if (held?.NotAfter is not { } notAfter)
                findings.Add(new DriftFinding(item, expected, "(missing)", Severity.Major));
            else if (notAfter <= now)
                findings.Add(new DriftFinding(item, expected, "expired " + notAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Severity.Critical));
            else if (notAfter < now.AddDays(rule.MinDaysValid))
                findings.Add(new DriftFinding(item, expected, "expires " + notAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Severity.Minor));
        }
    }

    private static void EvaluateBattery(Blueprint blueprint, DeviceStatus status, List<DriftFinding> findings)
    {
        if (blueprint.BatteryHealthFloorPercent is not { } floor)
            return;
        var expected = $">= {floor.ToString(CultureInfo.InvariantCulture)} %";
        if (status.Battery?.HealthPercent is not { } health)
            findings.Add(new DriftFinding("battery.health", expected, NotReported, Severity.Minor));
        else if (health < floor)
            findings.Add(new DriftFinding("battery.health", expected, health.ToString(CultureInfo.InvariantCulture) + " %", Severity.Minor));
    }

    private static string Version(long versionCode, string? versionName) =>
        versionName is null
            ? versionCode.ToString(CultureInfo.InvariantCulture)
            : $"{versionName} ({versionCode.ToString(CultureInfo.InvariantCulture)})";
}
