using System.Globalization;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.GitOps;

/// <summary>
/// <c>stagingPlans:</c> of a blueprints file. Each plan has a <c>name</c> and ordered <c>steps</c>; a step is
/// flat, its <c>kind</c> saying which keys it takes (a key of another kind is an error, as an unknown key is):
/// <code>
/// stagingPlans:
///   - name: scanner-standard
///     steps:
///       - kind: enroll
///       - kind: managedConfig
///         packageName: com.zebra.oemconfig.common
///         values: {scanner: {decoders: {qr: true}}}   # nested maps become dotted keys: scanner.decoders.qr
///       - kind: installApps                          # packageNames: [...]; none = the blueprint's apps
///       - kind: wifi
///         ssid: dc-floor
///         security: wpa2-psk                         # open | wpa2-psk | wpa3-sae | eap-peap | eap-tls
///         psk: {env: DC_FLOOR_PSK}                   # or a literal; identity + password for eap-*
///       - kind: pairPeripheral
///         peripheral: ring-scanner
///         addressPattern: "00:1B:*"
///       - kind: settings
///         values: {screen.timeoutSeconds: 300}
///       - kind: verify
/// </code>
/// A secret (<c>psk</c>, <c>password</c>) is a literal or <c>{env: NAME}</c>, read from the environment of
/// whoever applies the file, so the file in git need not hold it. An unset variable is an error naming the field
/// and the variable, never the value.
/// </summary>
public static partial class BlueprintYaml
{
    private static readonly Dictionary<string, string[]> KeysOfKind = new(StringComparer.Ordinal)
    {
        [StagingStepKinds.Enroll] = [],
        [StagingStepKinds.ManagedConfig] = ["packageName", "values"],
        [StagingStepKinds.InstallApps] = ["packageNames"],
        [StagingStepKinds.Wifi] = ["ssid", "security", "psk", "identity", "password"],
        [StagingStepKinds.PairPeripheral] = ["peripheral", "addressPattern"],
        [StagingStepKinds.Settings] = ["values"],
        [StagingStepKinds.Verify] = [],
    };

    private static List<StagingPlan> ToStagingPlans(List<FileStagingPlan?>? entries, Func<string, string?> environment, List<string> errors)
    {
        var plans = new List<StagingPlan>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (entries?.Count ?? 0); i++)
        {
            var at = $"stagingPlans[{i.ToString(CultureInfo.InvariantCulture)}]";
            var entry = entries![i];
            if (entry is null || string.IsNullOrWhiteSpace(entry.Name))
            {
                errors.Add($"{at}.name is required");
                continue;
            }

            if (!names.Add(entry.Name))
                errors.Add($"{at}.name '{entry.Name}' appears twice");
            var steps = new List<StagingStep>();
            var before = errors.Count;
            for (var j = 0; j < (entry.Steps?.Count ?? 0); j++)
            {
                var stepAt = $"{at}.steps[{j.ToString(CultureInfo.InvariantCulture)}]";
                if (entry.Steps![j] is { } step && ToStep(step, stepAt, environment, errors) is { } parsed)
                    steps.Add(parsed);
                else if (entry.Steps[j] is null)
                    errors.Add($"{stepAt}.kind is required");
            }

            if (errors.Count > before)
                continue;
            var plan = new StagingPlan(entry.Name, steps);
            // The plan's own rules, under the file's path.
            foreach (var (field, messages) in plan.Validate())
                errors.AddRange(messages.Select(m => $"{at}.{field} {m}"));
            plans.Add(plan);
        }

        return plans;
    }

    private static StagingStep? ToStep(FileStep step, string at, Func<string, string?> environment, List<string> errors)
    {
        if (step.Kind is null || !KeysOfKind.TryGetValue(step.Kind, out var allowed))
        {
            errors.Add($"{at}.kind must be one of {string.Join(", ", StagingStepKinds.All)}");
            return null;
        }

        var present = new (string Key, bool Set)[]
        {
            ("packageName", step.PackageName is not null), ("values", step.Values is not null), ("packageNames", step.PackageNames is not null),
            ("ssid", step.Ssid is not null), ("security", step.Security is not null), ("psk", step.Psk is not null),
            ("identity", step.Identity is not null), ("password", step.Password is not null),
            ("peripheral", step.Peripheral is not null), ("addressPattern", step.AddressPattern is not null),
        };
        var before = errors.Count;
        foreach (var (key, _) in present.Where(p => p.Set && !allowed.Contains(p.Key, StringComparer.Ordinal)))
            errors.Add($"{at}.{key} is not a field of a {step.Kind} step");
        var psk = Secret(step.Psk, at + ".psk", environment, errors);
        var password = Secret(step.Password, at + ".password", environment, errors);
        var values = step.Values is null ? new Dictionary<string, string>(StringComparer.Ordinal) : Flatten(step.Values, at + ".values", errors);
        if (errors.Count > before)
            return null;

        StagingStep parsed = step.Kind switch
        {
            StagingStepKinds.Enroll => new EnrollStep(),
            StagingStepKinds.ManagedConfig => new ManagedConfigStep(step.PackageName ?? "", values),
            StagingStepKinds.InstallApps => new InstallAppsStep(step.PackageNames ?? []),
            StagingStepKinds.Wifi => new WifiStep(step.Ssid ?? "", step.Security ?? "", psk, step.Identity, password),
            StagingStepKinds.PairPeripheral => new PairPeripheralStep(step.Peripheral ?? "", step.AddressPattern ?? ""),
            StagingStepKinds.Settings => new SettingsStep(values),
            _ => new VerifyStep(),
        };
        return step.Id is null ? parsed : parsed with { Id = step.Id };
    }

    /// <summary>A literal, or <c>{env: NAME}</c> read from the applier's environment.</summary>
    private static Secret? Secret(object? value, string at, Func<string, string?> environment, List<string> errors)
    {
        switch (value)
        {
            case null:
                return null;
            case string literal:
                return new Secret(literal);
            case Dictionary<object, object> map when map.Count == 1 && map.TryGetValue("env", out var name) && name is string variable && variable.Length > 0:
                if (environment(variable) is { Length: > 0 } fromEnvironment)
                    return new Secret(fromEnvironment);
                errors.Add($"{at} names the environment variable {variable}, which is not set");
                return null;
            default:
                errors.Add($"{at} must be a string or {{env: NAME}}");
                return null;
        }
    }

    /// <summary>Nested maps as dotted keys ({a: {b: 1}} is a.b = 1); a list is not a managed value we can carry.</summary>
    private static Dictionary<string, string> Flatten(Dictionary<string, object?> values, string at, List<string> errors)
    {
        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(string prefix, IEnumerable<KeyValuePair<string, object?>> entries)
        {
            foreach (var (key, value) in entries)
            {
                var path = prefix.Length == 0 ? key : prefix + "." + key;
                switch (value)
                {
                    case Dictionary<object, object> nested:
                        Walk(path, nested.Select(n => new KeyValuePair<string, object?>(Convert.ToString(n.Key, CultureInfo.InvariantCulture) ?? "", n.Value)));
                        break;
                    case string text:
                        flat[path] = text;
                        break;
                    case null:
                        errors.Add($"{at}.{path} needs a value");
                        break;
                    default:
                        errors.Add($"{at}.{path} must be a value or a map of values (not a list)");
                        break;
                }
            }
        }

        Walk("", values);
        return flat;
    }
}
