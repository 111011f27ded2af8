using System.Globalization;
using EdgeMdm.Domain.Spares;
using EdgeMdm.Edge.Options;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Spares;

/// <summary>Spare pools and swaps (section <c>Edge:Spares</c>).</summary>
public sealed class SpareOptions
{
    public const string Section = EdgeOptions.Section + ":Spares";

    /// <summary>A member is Ready only at this charge or above, in percent (80 by default); under it, or unknown, it is Charging.</summary>
    public int ReadyChargePercent { get; set; } = SpareClassifier.DefaultReadyChargePercent;

    /// <summary>How long a proposed swap waits for its confirmation before it expires (15 minutes by default).</summary>
    public TimeSpan ProposalLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How often the serving appliance expires old proposals and looks at the pools against their minimums (30 s by
    /// default): check-ins change charge and compliance, so a pool crosses its minimum without any pool change.
    /// </summary>
    public TimeSpan EvaluateEvery { get; set; } = TimeSpan.FromSeconds(30);
}

internal sealed class SpareOptionsValidator : IValidateOptions<SpareOptions>
{
    public ValidateOptionsResult Validate(string? name, SpareOptions options)
    {
        var failures = new List<string>();
        if (options.ReadyChargePercent is < 1 or > 100)
            failures.Add($"{SpareOptions.Section}:ReadyChargePercent must be 1 to 100, not {options.ReadyChargePercent.ToString(CultureInfo.InvariantCulture)}");
        if (options.ProposalLifetime < TimeSpan.FromSeconds(10) || options.ProposalLifetime > TimeSpan.FromDays(1))
            failures.Add($"{SpareOptions.Section}:ProposalLifetime must be 10 seconds to 1 day, not {options.ProposalLifetime}");
        if (options.EvaluateEvery < TimeSpan.FromSeconds(1) || options.EvaluateEvery > TimeSpan.FromHours(1))
            failures.Add($"{SpareOptions.Section}:EvaluateEvery must be 1 second to 1 hour, not {options.EvaluateEvery}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
