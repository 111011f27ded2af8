using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace EdgeMdm.ServiceDefaults.WebSignIn;

/// <summary>
/// The cookie handler's session store: the browser's cookie carries only a random 256-bit key (ASVS §7.2.3 asks for
/// 128 bits at least), renewed at every sign-in; the ticket stays on the server, protected by Data Protection, so that
/// signing out, a timeout or a removed user ends the session on the server and not only in one browser.
/// </summary>
public sealed class SessionTicketStore(IWebSessionStore sessions, IDataProtectionProvider protection, TimeProvider clock, IOptions<WebSessionOptions> options)
    : ITicketStore
{
    private readonly IDataProtector _protector = protection.CreateProtector("EdgeMdm.WebSignIn.Tickets");

    public static string HashOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(key)));
    }

    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, CancellationToken.None);

    public async Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var now = clock.GetUtcNow();
        // Signing in is rare: a fine moment to forget the sessions that timed out since the last one.
        await sessions.RemoveStaleSessionsAsync(now - options.Value.IdleTimeout, cancellationToken);
        var key = Base64Url(RandomNumberGenerator.GetBytes(32));
        var user = ticket.Principal.FindFirst(WebSignInClaims.Account)?.Value ?? "";
        await sessions.AddSessionAsync(new StoredWebSession(HashOf(key), user, Protect(ticket), now, now), cancellationToken);
        return key;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewAsync(key, ticket, CancellationToken.None);

    public Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken) =>
        sessions.RenewSessionAsync(HashOf(key), Protect(ticket), clock.GetUtcNow(), cancellationToken);

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    public async Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 100)
            return null;
        if (await sessions.FindSessionAsync(HashOf(key), cancellationToken) is not { } stored)
            return null;
        try
        {
            return TicketSerializer.Default.Deserialize(_protector.Unprotect(stored.Ticket));
        }
        catch (CryptographicException)
        {
            // Keys rotated away or the row was tampered with: as good as signed out.
            return null;
        }
    }

    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    public Task RemoveAsync(string key, CancellationToken cancellationToken) => sessions.RemoveSessionAsync(HashOf(key), cancellationToken);

    private byte[] Protect(AuthenticationTicket ticket) => _protector.Protect(TicketSerializer.Default.Serialize(ticket));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
