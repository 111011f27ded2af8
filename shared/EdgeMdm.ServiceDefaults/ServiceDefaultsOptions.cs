namespace EdgeMdm.ServiceDefaults;

/// <summary>What a host tells <see cref="ServiceDefaultsExtensions.AddServiceDefaults{TBuilder}"/> about itself.</summary>
public sealed class ServiceDefaultsOptions
{
    /// <summary>
    /// Names of the host's own meters (<c>IMeterFactory.Create("EdgeMdm.Edge")</c>) to export on <c>/metrics</c>,
    /// beside ASP.NET Core's and the runtime's. A meter not named here is not exported.
    /// </summary>
    public IReadOnlyList<string> Meters { get; init; } = [];

    /// <summary>How long a client is told to wait (<c>Retry-After</c>) when the host's storage is full.</summary>
    public TimeSpan StorageFullRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// At most one warning per this interval while storage stays full: a full disk refuses every write, and a
    /// warning per request would fill what is left of the log with the same line.
    /// </summary>
    public TimeSpan StorageFullWarningInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a client is told to wait when the host's database cannot serve for a while
    /// (<see cref="StoreUnavailableException"/>: overloaded, restarting, unreachable). Short: such episodes are often
    /// seconds long (a pool that stays exhausted through a burst, a failover).
    /// </summary>
    public TimeSpan StoreUnavailableRetryAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>At most one warning per this interval while the database cannot serve (as <see cref="StorageFullWarningInterval"/>).</summary>
    public TimeSpan StoreUnavailableWarningInterval { get; init; } = TimeSpan.FromSeconds(30);
}
