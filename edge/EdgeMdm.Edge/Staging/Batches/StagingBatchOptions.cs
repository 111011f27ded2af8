using EdgeMdm.Edge.Options;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Staging.Batches;

/// <summary>What a staging code tells Android's provisioning about the device-admin app (section <c>Edge:Staging</c>).</summary>
public sealed class StagingBatchOptions
{
    public const string Section = EdgeOptions.Section + ":Staging";

    /// <summary>
    /// The package name of the agent app in the site's catalog: the only package the anonymous
    /// <c>GET /api/v1/staging/agent-package/{sha256}</c> serves, and the one a code's download location points at.
    /// </summary>
    public string AgentPackage { get; set; } = "com.edgemdm.agent";

    /// <summary>The device-admin component Android provisions (<c>package/.Receiver</c>).</summary>
    public string AdminComponent { get; set; } = "com.edgemdm.agent/.AdminReceiver";
}

internal sealed class StagingBatchOptionsValidator : IValidateOptions<StagingBatchOptions>
{
    public ValidateOptionsResult Validate(string? name, StagingBatchOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.AgentPackage) || options.AgentPackage.Contains('/', StringComparison.Ordinal))
            failures.Add($"Edge:Staging:AgentPackage must be a package name, not '{options.AgentPackage}'");
        if (options.AdminComponent.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
            failures.Add($"Edge:Staging:AdminComponent must be PACKAGE/CLASS (com.edgemdm.agent/.AdminReceiver), not '{options.AdminComponent}'");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
