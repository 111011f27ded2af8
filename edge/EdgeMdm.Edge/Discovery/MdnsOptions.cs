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

    /// <summary>Path of the device API's root advertised in TXT <c>path</c>.</summary>
    public string ApiBasePath { get; set; } = "/";
}
