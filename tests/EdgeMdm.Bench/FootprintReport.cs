using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>The markdown of the footprint scenario: the appliance as the .deb ships it, against issue 28's targets.</summary>
internal static class FootprintReport
{
    public const double ReadyTargetSeconds = 1.5;
    public const long ResidentTargetBytes = 150L * 1000 * 1000;
    public const double UnchangedCheckinTargetBytes = 4096;

    public static string Render(FootprintResult r, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(r);
        var settings = string.Join(", ", r.Environment.Select(e => $"`{e.Key}={e.Value}`"));
        var restarts = r.Starts.Skip(1).ToList();
        var best = restarts.MinBy(s => s.Seconds)!;
        var text = Scenario("## Footprint: the appliance as the .deb ships it", startedAt, "the appliance and the load generator (nice 19) share them; times are pessimistic on a shared machine, memory and bytes are not");
        text.AppendLine(Invariant($"- `{r.Executable}`: `dotnet publish edge/EdgeMdm.Edge -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true`, run as its own executable with {settings}, plain MQTT listener, mDNS off"))
            .AppendLine(Invariant($"- start-to-ready: process start to the first 200 of `GET /readyz` (polled every 10 ms); start 1 makes a new site (database, migrations, key ring, site CA and certificate), starts 2–{r.Starts.Count} open it again: {string.Join(" / ", r.Starts.Select(s => Invariant($"{s.Seconds:0.000} s ({s.CpuSeconds:0.00} s CPU)")))}; the CPU time is what the start costs, the wall time what a shared machine made of it"))
            .AppendLine(Invariant($"- resident memory: VmRSS of /proc/PID/status; idle 5 s after ready; then {r.Devices} devices enrolled, each with its own MQTT connection (the agent's WakeListener, subscribed), checking in round-robin at {r.Rate} check-ins/s"))
            .AppendLine(Invariant($"- bytes written: `write_bytes` of /proc/PID/io over the window, i.e. page-cache pages the appliance dirtied for its files (database, WAL; the file system's own journal is the kernel's, not counted), divided by the check-ins answered; the database on the disk the bench runs from"))
            .AppendLine(Invariant($"- sightings (check-ins that change nothing but when the device was seen) written every {r.SightingWrite.TotalSeconds:0} s (`Edge:LastSeenWriteSeconds`), 5 rounds of the devices per write as the defaults give (300 s over the agent's 60 s); the unchanged window is {r.Unchanged.Checkins} check-ins ({r.Unchanged.Seconds:0} s, about {r.Unchanged.Seconds / r.SightingWrite.TotalSeconds:0.0} writes); errors {r.Errors}"))
            .AppendTargetsTable()
            .AppendLine(Invariant($"| **start-to-ready**, existing site (best of {restarts.Count}, {best.CpuSeconds:0.00} s of CPU by then; new site {r.Starts[0].Seconds:0.000} s) | {best.Seconds:0.000} s | ≤ {ReadyTargetSeconds:0.0} s | {Verdict(best.Seconds <= ReadyTargetSeconds)} |"))
            .AppendLine(Invariant($"| resident memory, idle | {Mb(r.Idle.Rss)} MB | | |"))
            .AppendLine(Invariant($"| resident memory, {r.Devices} devices enrolled, before they connect | {Mb(r.Enrolled.Rss)} MB | | |"))
            .AppendLine(Invariant($"| **resident memory, {r.Devices} devices connected and checking in** (peak {Mb(r.Loaded.PeakRss)} MB) | {Mb(r.Loaded.Rss)} MB | ≤ {Mb(ResidentTargetBytes)} MB | {Verdict(r.Loaded.Rss <= ResidentTargetBytes)} |"))
            .AppendLine(Invariant($"| written per check-in that changes the status (battery level; apps one in twenty), {r.Changing.Checkins} check-ins | {r.Changing.BytesPerCheckin / 1024:0.00} KiB | | |"))
            .AppendLine(Invariant($"| **written per check-in that changes nothing but the time**, {r.Unchanged.Checkins} check-ins, sighting writes included | {r.Unchanged.BytesPerCheckin / 1024:0.00} KiB | ≤ {UnchangedCheckinTargetBytes / 1024:0} KiB | {Verdict(r.Unchanged.BytesPerCheckin <= UnchangedCheckinTargetBytes)} |"));
        return text.ToString();
    }

    private static string Mb(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture);
}
