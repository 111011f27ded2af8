namespace EdgeMdm.Cloud.Catalog;

/// <summary>Source-generated log messages of the blueprint catalog; event ids 2150–2154 (see <c>Hosting/Log</c>).</summary>
internal static partial class CatalogLog
{
    [LoggerMessage(EventId = 2150, Level = LogLevel.Information, Message = "Protected {Blueprints} blueprints and {FeedRows} feed rows an older hub stored in clear")]
    public static partial void ClearBlueprintsProtected(ILogger logger, int blueprints, int feedRows);
}
