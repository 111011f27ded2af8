namespace EdgeMdm.ServiceDefaults;

/// <summary>Tags a host puts on its health checks to say which probe runs them.</summary>
public static class HealthTags
{
    /// <summary>Run by <c>/readyz</c>: the process should not be sent work until every check so tagged is healthy.</summary>
    public const string Ready = "ready";
}
