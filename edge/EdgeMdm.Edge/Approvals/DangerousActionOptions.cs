using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Options;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Approvals;

/// <summary>Dangerous actions at the site (section <c>Edge:DangerousActions</c>): when a wipe waits for a second person, and how long.</summary>
public sealed class DangerousActionOptions
{
    public const string Section = EdgeOptions.Section + ":DangerousActions";

    /// <summary>A wipe of more devices than this in one request waits for a second person's approval (5 by default; 0: every wipe).</summary>
    public int WipeApprovalThreshold { get; set; } = DangerousActionPolicy.DefaultWipeApprovalThreshold;

    /// <summary>How long a waiting request may be approved, in minutes (60 by default).</summary>
    public int ApprovalMinutes { get; set; } = (int)DangerousActionPolicy.DefaultApprovalWindow.TotalMinutes;

    public DangerousActionPolicy Policy => new(WipeApprovalThreshold, TimeSpan.FromMinutes(ApprovalMinutes));
}

internal sealed class DangerousActionOptionsValidator : IValidateOptions<DangerousActionOptions>
{
    public ValidateOptionsResult Validate(string? name, DangerousActionOptions options)
    {
        var problems = options.Policy.Problems(DangerousActionOptions.Section);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
