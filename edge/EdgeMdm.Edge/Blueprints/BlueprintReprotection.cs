using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Blueprints;

/// <summary>
/// At start, protects in place the blueprints an appliance from before their protection stored in clear
/// (<see cref="BlueprintStore.ProtectClearRows"/>), in one unit. Until then they are read as they are. Event ids
/// 1300–1309 belong to blueprints.
/// </summary>
internal sealed partial class BlueprintReprotection(EdgeStorage storage, BlueprintStore blueprints, ILogger<BlueprintReprotection> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var protectedRows = await storage.WriteAsync(blueprints.ProtectClearRows);
        if (protectedRows > 0)
            LogProtected(protectedRows);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Protected {Count} blueprints an older version stored in clear")]
    private partial void LogProtected(int count);
}
