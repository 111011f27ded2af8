namespace EdgeMdm.Cloud.Accounts;

/// <summary>Source-generated log messages of signing in; event ids 2100–2199 (see <c>Hosting/Log</c>).</summary>
internal static partial class AccountLog
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Sign-in of {User} in tenant {Tenant} refused")]
    public static partial void SignInRefused(ILogger logger, string tenant, string user);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Sign-in of {User} in tenant {Tenant} from {Address} refused: too many attempts for the account")]
    public static partial void SignInLimited(ILogger logger, string tenant, string user, string address);

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "{Count} API tokens made before tokens expired now expire in {Days} days: make new ones with 'edgemdm-cloud admin-token create' or sign in")]
    public static partial void UnexpiringTokensBounded(ILogger logger, int count, int days);
}
