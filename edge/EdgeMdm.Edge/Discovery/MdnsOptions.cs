using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Site;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Discovery;

/// <summary>
/// The mDNS / DNS-SD responder (<c>Edge:Mdns</c>): devices without a configured URL find the appliance as
/// <c>{InstanceName}._edgemdm._tcp.local</c>.
/// </summary>
public sealed class MdnsOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Interface names to announce on and answer from. Empty: every interface that is up and has the MULTICAST flag
    /// (loopback too when it has the flag, as inside a test's network namespace).
    /// </summary>
    public IList<string> Interfaces { get; } = [];

    /// <summary>The instance label people see when browsing; default: the site's name.</summary>
    public string? InstanceName { get; set; }

    /// <summary>The host name its A records answer for, without <c>.local</c>; default: <c>edgemdm-{site id}</c>.</summary>
    public string? HostName { get; set; }

    /// <summary>
    /// The host label the responder answers for under <c>.local</c>: <see cref="HostName"/>, else <c>edgemdm-{site id}</c>.
    /// The site certificate names it too (<c>{label}.local</c>), so a device that found the appliance by mDNS can check
    /// the name it connects to.
    /// </summary>
    public string AnnouncedHostName(SiteIdentity? site) =>
        HostName ?? ServiceAdvertisement.HostLabel("edgemdm-" + (site?.SiteId ?? ISiteIdentity.UnnamedSite));

    /// <summary>Path of the device API's root advertised in TXT <c>path</c>.</summary>
    public string ApiBasePath { get; set; } = "/";

    /// <summary>
    /// Unicast replies (legacy and QU queries) a second to one source address; past it they are dropped and counted
    /// (<c>edgemdm_mdns_dropped_total{reason="unicast_rate"}</c>). A device asks a handful of times while it looks for the
    /// appliance. 0 lifts the limit. 10 by default.
    /// </summary>
    public int UnicastRepliesPerSecondPerSource { get; set; } = 10;
}

internal sealed class MdnsOptionsValidator : IValidateOptions<MdnsOptions>
{
    public const string Section = EdgeOptions.Section + ":Mdns";

    public ValidateOptionsResult Validate(string? name, MdnsOptions options)
    {
        var failures = new List<string>();
        if (options.Interfaces.Any(string.IsNullOrWhiteSpace))
            failures.Add("Edge:Mdns:Interfaces must name interfaces (an empty name was given)");
        if (options.InstanceName is { } instance && (instance.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(instance) > 63))
            failures.Add($"Edge:Mdns:InstanceName must be 1 to 63 bytes of UTF-8, not '{instance}'");
        if (options.HostName is { } host && !System.Text.RegularExpressions.Regex.IsMatch(host, "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(1)))
            failures.Add($"Edge:Mdns:HostName must be one host label (letters, digits, inner hyphens; no '.local'), not '{host}'");
        if (options.UnicastRepliesPerSecondPerSource is < 0 or > 10_000)
            failures.Add($"Edge:Mdns:UnicastRepliesPerSecondPerSource must be between 0 (no limit) and 10000, not {options.UnicastRepliesPerSecondPerSource.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (!options.ApiBasePath.StartsWith('/') || options.ApiBasePath.Length > 200)
            failures.Add($"Edge:Mdns:ApiBasePath must be a path starting with '/', not '{options.ApiBasePath}'");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
