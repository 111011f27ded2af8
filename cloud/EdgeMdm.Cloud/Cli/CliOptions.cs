using System.CommandLine;

namespace EdgeMdm.Cloud.Cli;

/// <summary>Options the operator's commands share.</summary>
internal static class CliOptions
{
    /// <summary>A new <c>--database</c> option (System.CommandLine wants one instance per command).</summary>
    public static Option<string> Database() => new("--database")
    {
        Description = "connection string or directory of the hub (default: $EDGEMDM_Cloud__Database or ./data/cloud)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("EDGEMDM_Cloud__Database") ?? new HubOptions().Database,
    };
}
