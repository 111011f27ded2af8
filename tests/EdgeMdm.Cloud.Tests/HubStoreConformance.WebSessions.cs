using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Cloud.Tests;

// The console's web sessions (IWebSessionStore over web_sessions), on every backend.
public abstract partial class HubStoreConformance
{
    [SkippableFact]
    public async Task Web_sessions_are_kept_renewed_and_ended_per_session_per_user_and_when_stale()
    {
        // Arrange
        var store = await NewStoreAsync();
        var sessions = new WebConsole.SqlWebSessionStore(store.Database);
        byte[] ticket = [0, 1, 2, 250, 255];
        await sessions.AddSessionAsync(new StoredWebSession("k1", "default:ana", ticket, Now, Now));
        await sessions.AddSessionAsync(new StoredWebSession("k2", "default:ana", ticket, Now, Now));
        await sessions.AddSessionAsync(new StoredWebSession("k3", "default:bob", ticket, Now, Now));
        await sessions.AddSessionAsync(new StoredWebSession("k4", "default:cy", ticket, Now, Now));

        // Act
        await sessions.RenewSessionAsync("k3", [9, 9], Now.AddMinutes(10));
        var renewed = await sessions.FindSessionAsync("k3");
        await sessions.RemoveUserSessionsAsync("default:ana");
        await sessions.RemoveStaleSessionsAsync(Now.AddMinutes(5));
        await sessions.RemoveSessionAsync("k3");

        // Assert
        Assert.Equal(new byte[] { 9, 9 }, renewed!.Ticket);
        Assert.Equal((Now, Now.AddMinutes(10), "default:bob"), (renewed.SignedInAt, renewed.RenewedAt, renewed.UserName));
        Assert.Null(await sessions.FindSessionAsync("k1"));
        Assert.Null(await sessions.FindSessionAsync("k2"));
        Assert.Null(await sessions.FindSessionAsync("k3"));
        Assert.Null(await sessions.FindSessionAsync("k4"));
    }
}
