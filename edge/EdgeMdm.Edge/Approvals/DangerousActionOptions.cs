using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Options;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Approvals;

/// <summary>Dangerous actions at the site (section <c>Edge:DangerousActions</c>, <see cref="DangerousActionSettings"/>): when a wipe waits for a second person, and how long.</summary>
public static class DangerousActionOptions
{
    public const string Section = EdgeOptions.Section + ":DangerousActions";
}

internal sealed class DangerousActionOptionsValidator : IValidateOptions<DangerousActionSettings>
{
    public ValidateOptionsResult Validate(string? name, DangerousActionSettings options)
    {
        var problems = options.Policy.Problems(DangerousActionOptions.Section);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
