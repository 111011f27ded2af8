using EdgeMdm.Edge.Blueprints;
using EdgeMdm.Edge.Staging.Plans;
using EdgeMdm.Edge.Checkin;
using EdgeMdm.Edge.Enrollment;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Site;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Seed;

/// <summary>Applies a seed file: the site's name, its blueprints and tokens, in one writer unit.</summary>
public interface ISeedApplier
{
    Task ApplyAsync(SiteSeed seed, DateTimeOffset now);
}

internal sealed class SeedApplier(EdgeStorage storage, ISiteIdentity site, IBlueprints blueprints, ITokenStore tokens, IDeclarations declarations, IStagingPlans stagingPlans)
    : ISeedApplier
{
    public async Task ApplyAsync(SiteSeed seed, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(seed);
        await storage.WriteAsync(unit =>
        {
            if (seed.SiteId is not null)
                site.Name(unit, seed.SiteId, seed.SiteName ?? seed.SiteId);
            // Plans before the blueprints that name them, in the same unit.
            foreach (var plan in seed.StagingPlans)
                stagingPlans.Upsert(unit, plan, now.ToUnixTimeMilliseconds());
            foreach (var blueprint in seed.Blueprints)
                blueprints.Upsert(unit, blueprint, now.ToUnixTimeMilliseconds());
            foreach (var token in seed.Tokens)
                tokens.Import(unit, token.Token, token.Group, token.Uses, token.ExpiresAt, "seed", now);
            return true;
        });
        declarations.Reload();
    }
}

/// <summary>
/// Runs before Kestrel starts listening, so /healthz answers only once the seed is applied. Nothing here reaches
/// beyond the machine: the appliance boots with no uplink.
/// </summary>
internal sealed partial class SeedOnStart(ISeedApplier seeds, IOptions<EdgeOptions> options, TimeProvider clock, ILogger<SeedOnStart> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.SeedFile is not { } path)
            return;
        var seed = SiteSeedLoader.Load(path);
        await seeds.ApplyAsync(seed, clock.GetUtcNow());
        SeedApplied(logger, path, seed.Blueprints.Count, seed.Tokens.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Seed {Path} applied: {Blueprints} blueprints, {Tokens} enrollment tokens")]
    private static partial void SeedApplied(ILogger logger, string path, int blueprints, int tokens);
}

public static class SeedRegistration
{
    public static IServiceCollection AddSeed(this IServiceCollection services)
    {
        services.AddSingleton<ISeedApplier, SeedApplier>();
        services.AddHostedService<SeedOnStart>();
        return services;
    }
}
