using System.Security.Cryptography;
using System.Text;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Storage;
using EdgeMdm.ServiceDefaults.OwnerOnly;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>
/// The local administrator for when the hub's site users cannot help (no uplink yet, the hub down, every supervisor
/// locked out): made at the appliance's first start with a generated password, shown once on the console and written
/// to <see cref="PasswordFile"/> in the data directory (mode 0600, for the account that runs the appliance). There is
/// no default password. It signs in as <see cref="UserName"/> with the supervisor's role.
/// </summary>
internal sealed partial class BreakGlassAdmin(EdgeStorage storage, TimeProvider clock, ILogger<BreakGlassAdmin> log) : IHostedService
{
    public const string UserName = "breakglass";
    public const string PasswordFile = "break-glass-admin.txt";
    public const string Account = "local:" + UserName;

    /// <summary>When the administrator was made (the credential version of its sessions); null before the first start.</summary>
    public long? CreatedAt() =>
        storage.Read(db => db.Query<AdminRow>("SELECT password_hash AS PasswordHash, created_at AS CreatedAt FROM local_admins WHERE user_name = ?", UserName)
            .SingleOrDefault()?.CreatedAt);

    /// <summary>True when <paramref name="password"/> is the administrator's; as slow for a wrong name as for a wrong password.</summary>
    public bool Verify(string userName, string password)
    {
        var row = storage.Read(db => db.Query<AdminRow>("SELECT password_hash AS PasswordHash, created_at AS CreatedAt FROM local_admins WHERE user_name = ?", UserName)
            .SingleOrDefault());
        var found = string.Equals(userName, UserName, StringComparison.Ordinal) ? row?.PasswordHash : null;
        return PasswordHash.VerifyFound(password, found) && found is not null;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (CreatedAt() is not null)
            return;
        var password = NewPassword();
        var hash = PasswordHash.Create(password);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var made = await storage.WriteAsync(unit => unit.Db.Execute(
            "INSERT INTO local_admins (user_name, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (user_name) DO NOTHING", UserName, hash, now));
        if (made == 0)
            return;
        var file = Path.Combine(storage.DataDirectory, PasswordFile);
        OwnerOnlyFiles.WriteAllText(file, $"user: {UserName}\npassword: {password}\n");
        LogMade(UserName, file);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>20 characters from a 32-letter alphabet without look-alikes: 100 bits, typed from a screen or a label.</summary>
    private static string NewPassword()
    {
        const string Alphabet = "abcdefghjkmnpqrstuvwxyz23456789AB";
        var bytes = RandomNumberGenerator.GetBytes(20);
        var text = new StringBuilder(24);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (i > 0 && i % 5 == 0)
                text.Append('-');
            text.Append(Alphabet[bytes[i] % 32]);
        }

        return text.ToString();
    }

    [LoggerMessage(EventId = 7600, Level = LogLevel.Warning, Message = "Break-glass administrator made for the supervisor page: user {UserName}; its password is in {File}, readable only by this account (never logged: logs are copied and shipped)")]
    private partial void LogMade(string userName, string file);

    private sealed class AdminRow
    {
        public string PasswordHash { get; set; } = "";
        public long CreatedAt { get; set; }
    }
}
