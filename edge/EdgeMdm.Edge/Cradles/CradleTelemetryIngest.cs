using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using EdgeMdm.Contracts.Cradles;
using EdgeMdm.Domain.Floor;
using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Cradles;

/// <summary>
/// Networked cradles' telemetry as the embedded broker accepted it (the ACL: a cradle publishes only under its own
/// id): <c>edgemdm/cradles/{id}/slots/{n}</c> with a <see cref="CradleTelemetryCodec"/> payload becomes the slot's MQTT
/// observation. A cradle not configured in <c>Edge:Cradles:Networked</c>, a slot outside 1..its size, a malformed or
/// oversized payload: dropped, logged (once a minute per cradle and reason) and counted. Other topics under the
/// cradle's prefix (its LED topics, a status) are not telemetry and are left alone.
/// </summary>
internal sealed partial class CradleTelemetryIngest(
    IOptions<CradleOptions> options,
    EdgeStorage storage,
    CradleMetrics metrics,
    CradleLedDriver leds,
    TimeProvider clock,
    ILogger<CradleTelemetryIngest> logger) : ICradleTelemetrySink
{
    private static readonly TimeSpan LogEvery = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<(string, string), DateTimeOffset> _loggedAt = new();

    public async Task ReceivedAsync(string cradleId, string topic, ReadOnlySequence<byte> payload, CancellationToken cancellationToken)
    {
        var levels = topic.Split('/');
        if (levels.Length != 5 || !string.Equals(levels[3], "slots", StringComparison.Ordinal))
            return;
        var cradle = options.Value.Networked.FirstOrDefault(c => string.Equals(c.Id, cradleId, StringComparison.Ordinal));
        if (cradle is null)
        {
            Drop(cradleId, CradleMetrics.UnknownCradle, "not configured in Edge:Cradles:Networked");
            return;
        }

        if (!int.TryParse(levels[4], NumberStyles.None, CultureInfo.InvariantCulture, out var slot) || slot < 1 || slot > cradle.Slots)
        {
            Drop(cradleId, CradleMetrics.BadSlot, $"slot '{levels[4]}' is not 1-{cradle.Slots}");
            return;
        }

        // Refused before anything is copied: the codec would refuse it too, but only after the copy.
        if (payload.Length > CradleTelemetryCodec.MaxPayloadBytes)
        {
            Drop(cradleId, CradleMetrics.Malformed, $"payload of {payload.Length} bytes (over {CradleTelemetryCodec.MaxPayloadBytes})");
            return;
        }

        if (CradleTelemetryCodec.Decode(payload.ToArray(), out var error) is not { } telemetry)
        {
            Drop(cradleId, CradleMetrics.Malformed, error ?? "malformed");
            return;
        }

        var observation = new SlotObservation(
            SlotSource.Mqtt,
            telemetry.Content switch { SlotContents.Device => SlotHolding.Device, SlotContents.Battery => SlotHolding.Battery, _ => SlotHolding.Empty },
            telemetry.Serial,
            telemetry.Battery == SlotTelemetry.NoBattery ? null : telemetry.Battery,
            telemetry.ChargingReported ? telemetry.Charging : null,
            telemetry.Fault,
            clock.GetUtcNow());
        var emptied = await storage.WriteAsync(unit =>
        {
            CradleStore.Record(unit, cradleId, slot, observation, null);
            return observation.Holding == SlotHolding.Empty && CradleStore.Unlight(unit, cradleId, slot);
        });
        metrics.Counted(CradleMetrics.Accepted);
        if (emptied)
            await leds.ReconcileAsync(cancellationToken);
    }

    private void Drop(string cradleId, string result, string why)
    {
        metrics.Counted(result);
        var now = clock.GetUtcNow();
        var key = (cradleId, result);
        if (_loggedAt.TryGetValue(key, out var last) && now - last < LogEvery)
            return;
        _loggedAt[key] = now;
        LogDropped(logger, cradleId, result, why);
    }

    [LoggerMessage(EventId = 7320, Level = LogLevel.Warning, Message = "Cradle {CradleId}: telemetry dropped ({Result}): {Why} (logged once a minute per cradle and reason)")]
    private static partial void LogDropped(ILogger logger, string cradleId, string result, string why);
}
