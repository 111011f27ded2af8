using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Drift;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Fleet;

/// <summary>
/// Devices as central IT reads them, in the REST API's device lists and on the console's pages alike: each with its
/// compliance (<see cref="ComplianceClassifier"/> at <c>Cloud:DeviceStaleAfter</c>), the key app's version, the dock
/// state and the battery level, read from what its site last reported.
/// </summary>
public sealed class DeviceViews(IBlueprintStore blueprints, TimeProvider time, IOptions<HubOptions> options)
{
    /// <summary><paramref name="devices"/> of <paramref name="tenantId"/>, in order, with what is read from their reports set.</summary>
    public async Task<IReadOnlyList<DeviceRecord>> ViewsAsync(string tenantId, IReadOnlyList<DeviceRecord> devices, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var byGroup = (await blueprints.ListBlueprintsAsync(tenantId, cancellationToken)).ToDictionary(b => b.Group, StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var staleAfter = options.Value.DeviceStaleAfter;
        return devices.Select(d =>
        {
            var status = Status(d.StatusJson);
            return d with
            {
                Compliance = ComplianceClassifier.Name(ComplianceClassifier.Classify(d.ComplianceInput(), now, staleAfter)),
                KeyApp = KeyApp.Of(byGroup.GetValueOrDefault(d.Group), status),
                Dock = DeviceStatusText.Dock(status.Battery),
                BatteryLevel = status.Battery?.Level,
            };
        }).ToList();
    }

    /// <summary>The status a device last reported; empty when it has reported nothing since it (re)enrolled, or nothing readable.</summary>
    public static DeviceStatus Status(string statusJson)
    {
        if (!ComplianceClassifier.HasReported(statusJson))
            return new DeviceStatus();
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize(statusJson, DeviceProtocolJson.Default.DeviceStatus) ?? new DeviceStatus();
        }
        catch (System.Text.Json.JsonException)
        {
            return new DeviceStatus();
        }
    }
}
