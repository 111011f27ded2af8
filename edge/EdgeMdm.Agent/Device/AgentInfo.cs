using System.Reflection;

namespace EdgeMdm.Agent;

internal static class AgentInfo
{
    /// <summary>The informational version without the "+commit" suffix the SDK appends.</summary>
    public static string Version { get; } =
        typeof(AgentInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";
}
