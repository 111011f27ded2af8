using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>
/// The markdown of the wake scenario: each round, the figures of issue 5, and the like-with-like ones (the broker's
/// delivery, the whole path with either broker as the site's) pass or fail against the target.
/// </summary>
internal static class WakeReport
{
    public const double DeliveryTarget = 1.5;

    public static string Render(WakeResult r, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(r);
        var rounds = r.Rounds;
        var count = rounds.Of(WakePath.Appliance).Count;
        // Means over the measured rounds: every round sends the same N messages.
        var mosquitto = rounds.Of(WakePath.Mosquitto).Average(x => x.DeliverySeconds);
        var wakeOnly = rounds.Of(WakePath.ApplianceWakesOnly).Average(x => x.DeliverySeconds);
        var appliance = rounds.Of(WakePath.Appliance).Average(x => x.DeliverySeconds);
        var through = rounds.Of(WakePath.ApplianceThroughMosquitto).Average(x => x.DeliverySeconds);
        var checkedIn = rounds.Of(WakePath.Appliance).Average(x => x.CheckinSeconds ?? 0);
        var checkedInThrough = rounds.Of(WakePath.ApplianceThroughMosquitto).Average(x => x.CheckinSeconds ?? 0);
        var wholePath = checkedIn / checkedInThrough;
        var againstDelivery = checkedIn / mosquitto;

        var text = Scenario("## Device wakes: the appliance's broker beside Mosquitto", startedAt, $"the appliances, {r.MosquittoVersion} and every client share them");
        text.AppendLine(Invariant($"- {r.Agents} devices enrolled ({r.EnrollSeconds:0.0} s), each connected with its device credential and subscribed to its wake topic ({r.ConnectSeconds:0.0} s): the agent's WakeListener, one MQTT connection per device, in the bench process; the same {r.Agents} clients on the same topics at Mosquitto"))
            .AppendLine(Invariant($"- appliance round: `edgemdm-edge commands send --group pickers ring` queues {r.Agents} commands, hence {r.Agents} QoS 1 wakes; each device checks in (POST /api/v1/checkin, at most {r.HttpConnections} connections) as soon as it is woken; times from the wakes being queued (the CLI's exit; the appliance's dispatcher polls for another process's wakes every 50 ms); a \"wakes only\" round is the same with the devices not checking in, so that only the wakes load the appliance, as only the messages load Mosquitto"))
            .AppendLine(Invariant($"- Mosquitto round: one client publishes the {r.Agents} QoS 1 messages at once; times from the first publication"))
            .AppendLine("- appliance through Mosquitto: a copy of the same site, taken after enrollment, served by a second appliance started with `--mqtt-external` at this Mosquitto; the same round, its wakes delivered by Mosquitto to the devices' connections there, each device checking in with that appliance")
            .AppendLine(Invariant($"- after one unmeasured warm-up round each, rounds alternate Mosquitto, the appliance, the appliance with wakes only, the appliance through Mosquitto; errors {r.Errors}, wakes outside a round {r.StrayWakes}"))
            .AppendLine("- broker CPU: the broker's process over the round (an appliance's includes the check-ins; through Mosquitto it is that appliance's alone); writer CPU: the appliance's single database writer thread (`edgemdm-db-writer`, from /proc), the serial part of a check-in, per device of the round")
            .AppendLine()
            .AppendLine("| round | broker | messages | queued / acknowledged s | first delivered s | half delivered s | all delivered s | all checked in s | broker CPU s | writer CPU per device |")
            .AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var round in rounds.Warmup.Concat(rounds.Measured))
            text.AppendLine(Round(round));

        var perAppliance = r.Appliance.PerConnectionBytes(r.Agents);
        var perMosquitto = r.Mosquitto.PerConnectionBytes(r.Agents);
        text.AppendTargetsTable()
            .AppendLine(Invariant($"| all {r.Agents} delivered, Mosquitto / appliance wakes only / appliance with check-ins / appliance through Mosquitto with check-ins (mean of {count} rounds) | {mosquitto:0.000} / {wakeOnly:0.000} / {appliance:0.000} / {through:0.000} s | | |"))
            .AppendLine(Invariant($"| **appliance / Mosquitto delivery time, wakes only** (like with like: N QoS 1 messages, nothing else loading either broker) | {wakeOnly / mosquitto:0.00}× | ≤ {DeliveryTarget:0.0}× | {Verdict(wakeOnly / mosquitto)} |"))
            .AppendLine(Invariant($"| appliance / Mosquitto delivery time, devices checking in as they wake | {appliance / mosquitto:0.00}× | ≤ {DeliveryTarget:0.0}× | {Verdict(appliance / mosquitto)} |"))
            .AppendLine(Invariant($"| woken until every device has checked in, appliance / appliance through Mosquitto (mean; worst {rounds.Of(WakePath.Appliance).Max(x => x.CheckinSeconds ?? 0):0.000} / {rounds.Of(WakePath.ApplianceThroughMosquitto).Max(x => x.CheckinSeconds ?? 0):0.000} s) | {checkedIn:0.000} / {checkedInThrough:0.000} s | | |"))
            .AppendLine(Invariant($"| **woken until every device has checked in, embedded broker / Mosquitto as the site's broker** (the whole path, like with like) | {wholePath:0.00}× | ≤ {DeliveryTarget:0.0}× | {Verdict(wholePath)} |"))
            // Not held against the target: Mosquitto answers no check-in, and the round's 10,000 requests alone need more
            // than 1.5x its delivery on this machine (docs/benchmarks.md, "Which figure the target is held against").
            .AppendLine(Invariant($"| woken until every device has checked in / Mosquitto's bare delivery (the check-ins against no check-ins; not the target) | {againstDelivery:0.00}× | | |"))
            .AppendLine(Invariant($"| **appliance memory per connection** (resident {Mib(r.Appliance.Before)} → {Mib(r.Appliance.After)} MiB) | {perAppliance / 1024:0.0} KiB | | |"))
            .AppendLine(Invariant($"| Mosquitto memory per connection (resident {Mib(r.Mosquitto.Before)} → {Mib(r.Mosquitto.After)} MiB) | {perMosquitto / 1024:0.0} KiB | | |"));
        return text.ToString();
    }

    private static string Verdict(double ratio) => ReportMarkdown.Verdict(ratio <= DeliveryTarget);

    private static string Round(WakeRound m) =>
        Invariant($"| {m.Label} | {m.Name} | {m.Messages} | {m.QueueSeconds:0.000} | {m.FirstDeliverySeconds:0.000} | {m.HalfDeliverySeconds:0.000} | {m.DeliverySeconds:0.000} | {(m.CheckinSeconds is { } s ? s.ToString("0.000", CultureInfo.InvariantCulture) : "–")} | {m.BrokerCpuSeconds:0.00} | {(m.WriterCpuSeconds is { } w ? Invariant($"{w * 1e6 / m.Messages:0} µs") : "–")} |");

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0", CultureInfo.InvariantCulture);
}
