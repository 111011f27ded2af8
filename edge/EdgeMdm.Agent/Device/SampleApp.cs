using System.Globalization;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Agent;

/// <summary>An app a simulated device comes with, written <c>PACKAGE:VERSIONCODE:VERSIONNAME</c>.</summary>
public sealed record SampleApp(string PackageName, long VersionCode, string VersionName)
{
    /// <summary>What <c>edge/demo/site-seed.yaml</c> declares, so the demo fleet starts compliant on it.</summary>
    public static SampleApp Default { get; } = new("com.edgemdm.sample.scanner", 100, "1.0.0");

    public static bool TryParse(string? text, out SampleApp? app)
    {
        app = null;
        var parts = text?.Split(':', 3);
        if (parts is not { Length: 3 }
            || !PackageNames.IsValid(parts[0])
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var versionCode)
            || versionCode <= 0
            || string.IsNullOrWhiteSpace(parts[2]))
            return false;
        app = new SampleApp(parts[0], versionCode, parts[2]);
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{PackageName}:{VersionCode}:{VersionName}");
}
