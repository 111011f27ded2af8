using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Checkin;

/// <summary>
/// What a check-in asks of staging, in its own unit: record the device's step reports and say whether its plan is
/// done. Declared here (the check-in decides the move to Active), answered by the Staging feature.
/// </summary>
public interface IStagingGate
{
    /// <summary>
    /// Checks <paramref name="reported"/> against the plan of the device's group and, when it fits, stores every step
    /// whose state changed (with its upstream event) in <paramref name="unit"/>. A report naming a step the plan does not
    /// have is refused before anything is written.
    /// </summary>
    StagingVerdict Record(UnitOfWork unit, DeviceRecord device, StagingProgress? reported, DateTimeOffset now);
}

public enum StagingGateState
{
    /// <summary>The device is not in Staging and reports no step: nothing recorded, nothing to decide.</summary>
    NotStaging,

    /// <summary>The group names no plan: the device's own CompletedSteps/TotalSteps decide (older agents).</summary>
    NoPlan,

    /// <summary>The group has a plan and a step of it has not succeeded (or the site does not hold the plan yet).</summary>
    Incomplete,

    /// <summary>Every step of the plan succeeded.</summary>
    Complete,
}

public sealed record StagingVerdict(StagingGateState State, Refusal? Refusal = null);
