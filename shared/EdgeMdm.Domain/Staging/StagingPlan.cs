using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Domain.Staging;

/// <summary>
/// What a device does between enrollment and the floor, in order: an ordered list of typed steps with their
/// payloads. Owned by the hub (central IT's blueprints YAML names one per group), cached at the site, handed to an
/// enrolled device of the group. The plan is data; the device performs it and reports each step's state.
/// </summary>
public sealed partial record StagingPlan(string Name, IReadOnlyList<StagingStep> Steps)
{
    public const int MaxSteps = 64;
    public const int MaxValues = 256;

    /// <summary>Every bad field, keyed by its JSON path (<c>steps[2].psk</c>); empty when the plan can be used.</summary>
    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new FieldErrors();
        if (!IsName(Name))
            errors.Add("name", "must be 1-64 letters, digits, '-', '_' or '.'");
        if (Steps is null || Steps.Count == 0)
        {
            errors.Add("steps", "must list at least one step");
            return errors.ToDictionary();
        }

        if (Steps.Count > MaxSteps)
            errors.Add("steps", $"must list at most {MaxSteps.ToString(CultureInfo.InvariantCulture)} steps");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Steps.Count; i++)
        {
            var at = $"steps[{i.ToString(CultureInfo.InvariantCulture)}]";
            var step = Steps[i];
            if (step is null)
            {
                errors.Add(at, "is required");
                continue;
            }

            if (!IsName(step.Id))
                errors.Add(at + ".id", "must be 1-64 letters, digits, '-', '_' or '.'");
            else if (!ids.Add(step.Id))
                errors.Add(at + ".id", $"'{step.Id}' is already the id of an earlier step (give each {step.Kind} step its own id)");
            ValidateStep(step, at, errors);
        }

        return errors.ToDictionary();
    }

    // A method, not a property, so that serializing the record never writes an "isValid" member.
    public bool IsValid() => Validate().Count == 0;

    /// <summary>The step with this id, or null.</summary>
    public StagingStep? Step(string id) => Steps.FirstOrDefault(s => string.Equals(s.Id, id, StringComparison.Ordinal));

    /// <summary>
    /// Lowercase hex, 128 bits of SHA-256 over the plan's canonical JSON (keys of every key/value map in ordinal
    /// order, secrets in clear so that a new Wi-Fi key is a new version of the plan). The device reports the hash of
    /// the plan it ran; the site and the hub show it. It reveals a secret only to someone who can already guess the
    /// whole of it (as a captured Wi-Fi handshake does), and it is never a secret's own hash.
    /// </summary>
    public string ContentHash() =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(StagingPlanJson.SerializeClear(Normalized()))).AsSpan(0, 16));

    /// <summary>
    /// The same plan with every key/value map in ordinal key order: what the content hash reads. A plan read from
    /// hostile JSON may lack its steps list; it hashes as an empty one (and so never matches a plan the hub signed).
    /// </summary>
    public StagingPlan Normalized() => this with
    {
        Steps = (Steps ?? []).Select(step => step switch
        {
            ManagedConfigStep m => m with { Values = Sorted(m.Values) },
            SettingsStep s => s with { Values = Sorted(s.Values) },
            _ => step,
        }).ToList(),
    };

    /// <summary>True when every secret and every other field are equal (a dry run's "unchanged").</summary>
    public bool SameAs(StagingPlan other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return string.Equals(StagingPlanJson.SerializeClear(Normalized()), StagingPlanJson.SerializeClear(other.Normalized()), StringComparison.Ordinal);
    }

    /// <summary>The secrets of the plan, by the JSON path of their field (<c>steps[1].psk</c>).</summary>
    public IReadOnlyDictionary<string, Secret> Secrets()
    {
        var secrets = new SortedDictionary<string, Secret>(StringComparer.Ordinal);
        for (var i = 0; i < Steps.Count; i++)
        {
            if (Steps[i] is not WifiStep wifi)
                continue;
            var at = $"steps[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (wifi.Psk is { } psk)
                secrets[at + ".psk"] = psk;
            if (wifi.Password is { } password)
                secrets[at + ".password"] = password;
        }

        return secrets;
    }

    private static SortedDictionary<string, string> Sorted(IReadOnlyDictionary<string, string> values)
    {
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in values ?? new Dictionary<string, string>(StringComparer.Ordinal))
            sorted[key] = value;
        return sorted;
    }

    private static void ValidateStep(StagingStep step, string at, FieldErrors errors)
    {
        switch (step)
        {
            case ManagedConfigStep managed:
                if (!IsPackageName(managed.PackageName))
                    errors.Add(at + ".packageName", "must be an Android package name such as com.zebra.oemconfig.common");
                ValidateValues(managed.Values, at + ".values", errors);
                break;
            case InstallAppsStep install:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var packages = install.PackageNames ?? [];
                for (var j = 0; j < packages.Count; j++)
                {
                    var packageAt = $"{at}.packageNames[{j.ToString(CultureInfo.InvariantCulture)}]";
                    if (!IsPackageName(packages[j]))
                        errors.Add(packageAt, "must be an Android package name such as com.acme.picking");
                    else if (!seen.Add(packages[j]))
                        errors.Add(packageAt, $"'{packages[j]}' appears twice");
                }

                break;
            case WifiStep wifi:
                ValidateWifi(wifi, at, errors);
                break;
            case PairPeripheralStep pair:
                if (pair.Peripheral is null || !PeripheralKind().IsMatch(pair.Peripheral))
                    errors.Add(at + ".peripheral", "must be a kind of peripheral such as ring-scanner, printer or headset (lowercase letters, digits and '-')");
                if (!PeripheralAddress.IsPattern(pair.AddressPattern))
                    errors.Add(at + ".addressPattern", "must be a Bluetooth address or prefix pattern such as 00:1B:* or AC:3F:A4:12:*:* (hex pairs or '*', separated by ':')");
                break;
            case SettingsStep settings:
                ValidateValues(settings.Values, at + ".values", errors);
                break;
        }
    }

    private static void ValidateWifi(WifiStep wifi, string at, FieldErrors errors)
    {
        if (string.IsNullOrEmpty(wifi.Ssid) || Encoding.UTF8.GetByteCount(wifi.Ssid) > 32)
            errors.Add(at + ".ssid", "must be 1-32 bytes");
        if (!WifiSecurity.All.Contains(wifi.Security, StringComparer.Ordinal))
        {
            errors.Add(at + ".security", $"must be one of {string.Join(", ", WifiSecurity.All)}");
            return;
        }

        var personal = wifi.Security is WifiSecurity.Wpa2Psk or WifiSecurity.Wpa3Sae;
        var enterprise = wifi.Security is WifiSecurity.EapPeap or WifiSecurity.EapTls;
        if (personal)
        {
            // WPA2 passphrases are 8-63 characters (IEEE 802.11i); SAE takes any length but a short one is no key.
            if (wifi.Psk is null)
                errors.Add(at + ".psk", $"is required for {wifi.Security}");
            else if (wifi.Psk.Length is < 8 or > 63)
                errors.Add(at + ".psk", "must be 8-63 characters");
        }
        else if (wifi.Psk is not null)
        {
            errors.Add(at + ".psk", $"is only for wpa2-psk and wpa3-sae, not {wifi.Security}");
        }

        if (enterprise)
        {
            if (string.IsNullOrWhiteSpace(wifi.Identity))
                errors.Add(at + ".identity", $"is required for {wifi.Security}");
        }
        else if (wifi.Identity is not null)
        {
            errors.Add(at + ".identity", $"is only for eap-peap and eap-tls, not {wifi.Security}");
        }

        if (string.Equals(wifi.Security, WifiSecurity.EapPeap, StringComparison.Ordinal) && (wifi.Password is null || wifi.Password.Length == 0))
            errors.Add(at + ".password", "is required for eap-peap");
        else if (!string.Equals(wifi.Security, WifiSecurity.EapPeap, StringComparison.Ordinal) && wifi.Password is not null)
            errors.Add(at + ".password", string.Equals(wifi.Security, WifiSecurity.EapTls, StringComparison.Ordinal) ? "is not used by eap-tls (its credential is the device certificate)" : $"is only for eap-peap, not {wifi.Security}");
    }

    private static void ValidateValues(IReadOnlyDictionary<string, string>? values, string at, FieldErrors errors)
    {
        if (values is null || values.Count == 0)
        {
            errors.Add(at, "must hold at least one key");
            return;
        }

        if (values.Count > MaxValues)
            errors.Add(at, $"must hold at most {MaxValues.ToString(CultureInfo.InvariantCulture)} keys");
        foreach (var (key, value) in values)
        {
            if (!ValueKey().IsMatch(key))
                errors.Add($"{at}.{key}", "a key must be letters, digits, '_', '-' and '.' between nested names");
            else if (value is null)
                errors.Add($"{at}.{key}", "needs a value");
        }
    }

    internal static bool IsName(string? name) => name is not null && NamePattern().IsMatch(name);

    private static bool IsPackageName(string? name) => name is not null && name.Length <= 255 && PackageNamePattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*(\\.[A-Za-z][A-Za-z0-9_]*)+$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex PackageNamePattern();

    [GeneratedRegex("^[a-z][a-z0-9-]{0,31}$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex PeripheralKind();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9_-]{1,64}){0,7}$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ValueKey();
}

/// <summary>
/// A Bluetooth address pattern: up to six colon-separated parts, each two hex digits or '*', where a trailing
/// '*' part stands for every remaining octet ("00:1B:*" is every address from vendor 00:1B; "AC:3F:A4:12:*:5E"
/// matches one octet). Case does not matter.
/// </summary>
public static class PeripheralAddress
{
    public static bool IsPattern(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern))
            return false;
        var parts = pattern.Split(':');
        if (parts.Length > 6 || (parts.Length < 6 && !IsWildcard(parts[^1])))
            return false;
        return parts.All(p => IsWildcard(p) || (p.Length == 2 && Uri.IsHexDigit(p[0]) && Uri.IsHexDigit(p[1])));
    }

    public static bool Matches(string pattern, string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!IsPattern(pattern))
            return false;
        var parts = pattern.Split(':');
        var octets = address.Split(':');
        if (octets.Length != 6)
            return false;
        for (var i = 0; i < 6; i++)
        {
            if (i >= parts.Length)
                return IsWildcard(parts[^1]);
            if (IsWildcard(parts[i]))
            {
                if (i == parts.Length - 1)
                    return true;
                continue;
            }

            if (!string.Equals(parts[i], octets[i], StringComparison.OrdinalIgnoreCase))
                return false;
        }

        return true;
    }

    private static bool IsWildcard(string part) => string.Equals(part, "*", StringComparison.Ordinal);
}
