namespace EdgeMdm.ServiceDefaults.WebSignIn;

/// <summary>What a web session's principal carries besides its name and role.</summary>
public static class WebSignInClaims
{
    /// <summary>Who acts, as histories record it (<c>site-user:sam</c>, <c>local:breakglass</c>); sessions are ended by it.</summary>
    public const string Account = "edgemdm:account";

    /// <summary>When the person signed in (Unix ms): the absolute timeout counts from it.</summary>
    public const string SignedInAt = "edgemdm:signed_in_at";

    /// <summary>The user's record as it was at sign-in (a role or password change since ends the session).</summary>
    public const string CredentialVersion = "edgemdm:credential_version";
}
