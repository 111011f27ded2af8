using System.Diagnostics;

namespace EdgeMdm.Testing;

/// <summary>The xUnit half of <see cref="ThrowawayPostgres"/>: skip or fail the calling test when no server can start.</summary>
internal sealed partial class ThrowawayPostgres
{
    /// <summary>Starts a server, or fails (CI) / skips (elsewhere) the calling <c>[SkippableFact]</c> when it cannot.</summary>
    public static async Task<ThrowawayPostgres> StartOrSkipAsync()
    {
        var (server, unavailable) = await TryStartAsync();
        return server ?? throw SkipOrFail(unavailable!);
    }

    /// <summary>Fails the calling test under CI=true, skips it elsewhere; either way by throwing.</summary>
    public static Exception SkipOrFail(string unavailable)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail("PostgreSQL is required when CI=true but could not be started: " + unavailable);
        Skip.If(true, "PostgreSQL unavailable (run tests/scripts/setup.sh as root to install it): " + unavailable);
        return new UnreachableException();
    }
}
