using System.Globalization;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Options;

/// <summary>Start-time checks of <see cref="EdgeOptions"/>, each failure naming the setting and its switch.</summary>
internal sealed class EdgeOptionsValidator : IValidateOptions<EdgeOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDir))
            failures.Add("Edge:DataDir (--data-dir) must name a directory");
        if (options.CheckinIntervalSeconds is < 1 or > 86_400)
            failures.Add($"Edge:CheckinIntervalSeconds (--checkin-interval) must be between 1 and 86400, not {options.CheckinIntervalSeconds.ToString(CultureInfo.InvariantCulture)}");
        if (options.LastSeenWriteSeconds is < 1 or > 3600)
            failures.Add($"Edge:LastSeenWriteSeconds must be between 1 and 3600, not {options.LastSeenWriteSeconds.ToString(CultureInfo.InvariantCulture)}");
        if (options.SeedFile is { } seed && !File.Exists(seed))
            failures.Add($"Edge:SeedFile (--seed) names '{seed}', which does not exist");
        if (options.StorageFloorBytes < 0)
            failures.Add($"Edge:StorageFloorBytes must be 0 or more bytes, not {options.StorageFloorBytes.ToString(CultureInfo.InvariantCulture)}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
