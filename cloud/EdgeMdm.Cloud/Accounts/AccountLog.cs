namespace EdgeMdm.Cloud.Accounts;

/// <summary>Source-generated log messages of signing in; event ids 2100–2199 (see <c>Hosting/Log</c>).</summary>
internal static partial class AccountLog
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Sign-in of {User} in tenant {Tenant} refused")]
    public static partial void SignInRefused(ILogger logger, string tenant, string user);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Sign-in of {User} in tenant {Tenant} from {Address} refused: too many attempts for the account")]
    public static partial void SignInLimited(ILogger logger, string tenant, string user, string address);
}
