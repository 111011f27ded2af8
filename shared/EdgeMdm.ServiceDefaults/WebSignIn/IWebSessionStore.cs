namespace EdgeMdm.ServiceDefaults.WebSignIn;

/// <summary>
/// A signed-in person's session as the server keeps it: the browser holds only a random key; the server holds its
/// SHA-256 (<see cref="KeyHash"/>, so a copy of the database signs nobody in) and the protected ticket.
/// </summary>
public sealed record StoredWebSession(string KeyHash, string UserName, byte[] Ticket, DateTimeOffset SignedInAt, DateTimeOffset RenewedAt);

/// <summary>Where a server keeps its web sessions (the appliance's SQLite, the hub's database).</summary>
public interface IWebSessionStore
{
    Task AddSessionAsync(StoredWebSession session, CancellationToken cancellationToken = default);

    Task<StoredWebSession?> FindSessionAsync(string keyHash, CancellationToken cancellationToken = default);

    /// <summary>Replaces the ticket (its new expiry) and the renewal time; nothing when the session is gone.</summary>
    Task RenewSessionAsync(string keyHash, byte[] ticket, DateTimeOffset renewedAt, CancellationToken cancellationToken = default);

    Task RemoveSessionAsync(string keyHash, CancellationToken cancellationToken = default);

    /// <summary>Ends every session of <paramref name="userName"/> (signed out everywhere, disabled, removed).</summary>
    Task RemoveUserSessionsAsync(string userName, CancellationToken cancellationToken = default);

    /// <summary>Forgets sessions renewed before <paramref name="before"/>: they timed out.</summary>
    Task RemoveStaleSessionsAsync(DateTimeOffset before, CancellationToken cancellationToken = default);
}

/// <summary>
/// The host's answer to "may this signed-in person still be here": false when the user was removed or disabled, or
/// their role or password changed since they signed in (the <see cref="WebSignInClaims.CredentialVersion"/> claim).
/// </summary>
public interface IWebUserCheck
{
    ValueTask<bool> IsStillValidAsync(System.Security.Claims.ClaimsPrincipal user, CancellationToken cancellationToken);
}
