using System.Diagnostics.Metrics;
using EdgeMdm.Edge.Telemetry;

namespace EdgeMdm.Edge.Enrollment;

/// <summary>
/// Every refused enrollment, counted on the appliance's meter (<c>edgemdm.enrollments.refused</c>, tag <c>reason</c>)
/// and logged. A refused re-enrollment of a known serial is a warning (event 1100): it is what a takeover attempt
/// looks like, or a wiped device waiting for an operator. Token refusals are information (event 1101): a stale
/// token in a staging script is common and harmless.
/// </summary>
internal sealed partial class EnrollmentTelemetry
{
    public const string InstrumentName = "edgemdm.enrollments.refused";

    private readonly Counter<long> _refused;
    private readonly ILogger<EnrollmentTelemetry> _log;

    public EnrollmentTelemetry(IMeterFactory meters, ILogger<EnrollmentTelemetry> log)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _refused = meters.Create(EdgeMetrics.MeterName).CreateCounter<long>(
            InstrumentName, unit: "{enrollment}", description: "Enrollments refused, by reason (token_unknown, device_active, ...)");
        _log = log;
    }

    /// <summary>The reasons a refusal is counted under, one per thing the caller lacked.</summary>
    public static class Reasons
    {
        public const string TokenUnknown = "token_unknown";
        public const string TokenExpired = "token_expired";
        public const string TokenUsedUp = "token_used_up";

        /// <summary>An Active device, enrolled again without its current secret or an allowance.</summary>
        public const string DeviceActive = "device_active";

        /// <summary>A bearer secret was presented for an Active device, and it is not the device's.</summary>
        public const string CredentialMismatch = "credential_mismatch";

        /// <summary>An allowance existed but had expired.</summary>
        public const string AllowanceExpired = "allowance_expired";

        public const string DeviceQuarantined = "device_quarantined";
        public const string DeviceRetired = "device_retired";
    }

    public void TokenRefused(string reason, string serial, string detail)
    {
        _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
        LogTokenRefused(serial, reason, detail);
    }

    public void ReenrollmentRefused(string reason, string deviceId, string serial, string detail)
    {
        _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
        LogReenrollmentRefused(serial, deviceId, reason, detail);
    }

    public void AllowanceUsed(string deviceId, string serial, string grantedBy, string reason) => LogAllowanceUsed(serial, deviceId, grantedBy, reason);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Re-enrollment of {Serial} ({DeviceId}) refused ({Reason}): {Detail}")]
    private partial void LogReenrollmentRefused(string serial, string deviceId, string reason, string detail);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Enrollment of {Serial} refused ({Reason}): {Detail}")]
    private partial void LogTokenRefused(string serial, string reason, string detail);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "{Serial} ({DeviceId}) enrolled again on the allowance {GrantedBy} gave: {AllowanceReason}")]
    private partial void LogAllowanceUsed(string serial, string deviceId, string grantedBy, string allowanceReason);
}
