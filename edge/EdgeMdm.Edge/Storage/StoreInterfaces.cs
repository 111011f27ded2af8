using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Edge.Fleet;
using EdgeMdm.Edge.Seed;

namespace EdgeMdm.Edge.Storage;

// Narrow store interfaces: each consumer asks for the one it needs (nanomdm's storage.go shape).
// IEdgeStore composes them for the single SQLite implementation.

/// <summary>Why a device request was refused; the API maps the kind to an HTTP status.</summary>
public enum RefusalKind
{
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
}

public sealed record Refusal(RefusalKind Kind, string Title, string Detail);

/// <summary>Either a value or the reason there is none.</summary>
public sealed record Outcome<T>(T? Value, Refusal? Refusal)
    where T : class
{
    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(Refusal refusal) => new(null, refusal);
}

public sealed record EnrollmentAttempt(
    string TokenHash,
    string Serial,
    string Model,
    string Manufacturer,
    string OsVersion,
    string AgentVersion);

public sealed record Enrolled(string DeviceId, string DeviceSecret, string SiteId, string Group, bool Reenrolled);

public sealed record CommandOutcomeReport(bool Succeeded, string? Message, DateTimeOffset? FinishedAt);

public sealed record CommandRecorded(string CommandId, string Status, bool AlreadyRecorded);

public interface IEnrollmentStore
{
    Task<Outcome<Enrolled>> EnrollAsync(EnrollmentAttempt attempt, DateTimeOffset now);
}

public interface ITokenStore
{
    Task<IssuedToken> CreateTokenAsync(string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now);

    /// <summary>Records a token whose clear value comes from elsewhere (the seed file); idempotent.</summary>
    Task ImportTokenAsync(string clearToken, string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now);

    IReadOnlyList<TokenSummary> ListTokens();
}

public interface ICheckinStore
{
    Task<Outcome<CheckinResponse>> CheckinAsync(string secretHash, DeviceStatus? changes, string? heldDeclarationsToken, DateTimeOffset now);

    Task<Outcome<CommandRecorded>> RecordCommandResultAsync(string secretHash, string commandId, CommandOutcomeReport report, DateTimeOffset now);

    /// <summary>The declarations of the device holding this secret.</summary>
    Outcome<DeclarationsDocument> Declarations(string secretHash);
}

public interface IBlueprintStore
{
    Task ApplySeedAsync(SiteSeed seed, DateTimeOffset now);

    bool HasBlueprint(string group);

    IReadOnlyCollection<string> Groups { get; }
}

public interface ICommandStore
{
    Task<Outcome<CommandSummary>> QueueCommandAsync(string deviceId, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now);

    IReadOnlyList<CommandSummary> ListCommands(string? deviceId);
}

public interface IDeviceAdmin
{
    Task<Outcome<StateTransitionRecord>> TransitionAsync(string deviceId, DeviceState target, string actor, string reason, DateTimeOffset now);
}

public interface IFleetQueries
{
    IReadOnlyList<DeviceSummary> ListDevices();

    DeviceDetail? Device(string deviceIdOrSerial);

    DriftSummary Drift();
}

public interface IEdgeStore : IEnrollmentStore, ITokenStore, ICheckinStore, IBlueprintStore, ICommandStore, IDeviceAdmin, IFleetQueries;
