using System.Globalization;

namespace EdgeMdm.Domain.Staging;

/// <summary>
/// What changes between two versions of a plan, in words for a dry run: <c>steps[3].ssid dc-old → dc-floor</c>,
/// <c>+ steps[7] verify</c>, <c>- steps[2] settings</c>, and for a secret only <c>steps[3].psk changed</c> (never a
/// value, old or new). Fields are compared by position: inserting a step shows the later ones as changed, as a
/// reader of the file would count them.
/// </summary>
public static class StagingPlanDiff
{
    public static IReadOnlyList<string> Between(StagingPlan before, StagingPlan after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var lines = new List<string>();
        var count = Math.Max(before.Steps.Count, after.Steps.Count);
        for (var i = 0; i < count; i++)
        {
            var at = $"steps[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (i >= before.Steps.Count)
            {
                lines.Add($"+ {at} {Describe(after.Steps[i])}");
                continue;
            }

            if (i >= after.Steps.Count)
            {
                lines.Add($"- {at} {Describe(before.Steps[i])}");
                continue;
            }

            var old = Fields(before.Steps[i]);
            var now = Fields(after.Steps[i]);
            foreach (var key in old.Keys.Union(now.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                old.TryGetValue(key, out var was);
                now.TryGetValue(key, out var @is);
                if (Equal(was, @is))
                    continue;
                lines.Add(was?.Secret is not null || @is?.Secret is not null
                    ? $"{at}.{key} {(was is null ? "set" : @is is null ? "removed" : "changed")}"
                    : $"{at}.{key} {was?.Text ?? "(none)"} → {@is?.Text ?? "(none)"}");
            }
        }

        return lines;
    }

    /// <summary>A step in short for a new plan's lines: its kind, its id when not the kind, and what it names (no secret).</summary>
    public static string Describe(StagingStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var id = string.Equals(step.Id, step.Kind, StringComparison.Ordinal) ? "" : $" ({step.Id})";
        var what = step switch
        {
            ManagedConfigStep m => $" {m.PackageName}, {m.Values.Count.ToString(CultureInfo.InvariantCulture)} keys",
            InstallAppsStep { PackageNames.Count: 0 } => " the blueprint's apps",
            InstallAppsStep a => " " + string.Join(", ", a.PackageNames),
            WifiStep w => $" {w.Ssid} {w.Security}",
            PairPeripheralStep p => $" {p.Peripheral} {p.AddressPattern}",
            SettingsStep s => $" {s.Values.Count.ToString(CultureInfo.InvariantCulture)} keys",
            _ => "",
        };
        return step.Kind + id + what;
    }

    private sealed record Field(string? Text, Secret? Secret);

    private static bool Equal(Field? a, Field? b) =>
        a is null ? b is null : b is not null && string.Equals(a.Text, b.Text, StringComparison.Ordinal) && a.Secret == b.Secret;

    private static Dictionary<string, Field> Fields(StagingStep step)
    {
        var fields = new Dictionary<string, Field>(StringComparer.Ordinal) { ["kind"] = new(step.Kind, null), ["id"] = new(step.Id, null) };
        void Text(string key, string? value)
        {
            if (value is not null)
                fields[key] = new Field(value, null);
        }

        void Values(IReadOnlyDictionary<string, string> values)
        {
            foreach (var (key, value) in values)
                fields["values." + key] = new Field(value, null);
        }

        switch (step)
        {
            case ManagedConfigStep m:
                Text("packageName", m.PackageName);
                Values(m.Values);
                break;
            case InstallAppsStep a:
                Text("packageNames", a.PackageNames.Count == 0 ? "(the blueprint's apps)" : string.Join(", ", a.PackageNames));
                break;
            case WifiStep w:
                Text("ssid", w.Ssid);
                Text("security", w.Security);
                Text("identity", w.Identity);
                if (w.Psk is not null)
                    fields["psk"] = new Field(null, w.Psk);
                if (w.Password is not null)
                    fields["password"] = new Field(null, w.Password);
                break;
            case PairPeripheralStep p:
                Text("peripheral", p.Peripheral);
                Text("addressPattern", p.AddressPattern);
                break;
            case SettingsStep s:
                Values(s.Values);
                break;
        }

        return fields;
    }
}
