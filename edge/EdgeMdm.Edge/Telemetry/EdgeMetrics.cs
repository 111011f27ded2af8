namespace EdgeMdm.Edge.Telemetry;

/// <summary>
/// The appliance's one meter. Each feature creates its instruments on it through <c>IMeterFactory</c>; the host exports
/// it at <c>/metrics</c> (Prometheus text) with ASP.NET Core's and the runtime's.
/// </summary>
public static class EdgeMetrics
{
    public const string MeterName = "EdgeMdm.Edge";
}
