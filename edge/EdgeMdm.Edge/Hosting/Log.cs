namespace EdgeMdm.Edge.Hosting;

/// <summary>Source-generated log messages; event ids 1000–1099 belong to hosting.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Seed {Path} applied: {Blueprints} blueprints, {Tokens} enrollment tokens")]
    public static partial void SeedApplied(ILogger logger, string path, int blueprints, int tokens);
}
