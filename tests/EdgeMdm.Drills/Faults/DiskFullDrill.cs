namespace EdgeMdm.Drills.Faults;

/// <summary>
/// The appliance's data directory on a small file system that fills up to its last byte while devices check in, and
/// gets its space back, several times. While full, devices get 503 with a problem body that says so and a Retry-After;
/// the appliance stays up; nothing it acknowledged is lost; the database stays sound; and once the space is back it
/// serves again by itself, with no restart.
/// </summary>
internal sealed class DiskFullDrill : IDrill
{
    public string Name => "disk-full";

    public string Title => "the data directory's file system fills up and empties, round after round: 503 with a clear body, nothing lost, service back by itself";

    public async Task<DrillOutcome> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        var (devices, rounds) = context.Short ? (30, 2) : (100, 6);
        var failures = new List<string>();
        var random = new Random(context.Seed);
        await using var disk = await SmallDisk.StartAsync(context.WorkDirectory, sizeMiB: 32, floorBytes: "1048576", cancellationToken);
        using var client = disk.CreateClient();
        var fleet = new DrillFleet();
        await fleet.EnrollAsync(client, "test-pickers-token-0001", "FULL", devices, cancellationToken);
        var refused = 0;
        var resumed = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            await CheckInForAsync(fleet, client, TimeSpan.FromMilliseconds(random.Next(2000, 4000)), random.Next(), cancellationToken);
            var full = await disk.FillAsync(cancellationToken);
            fleet.ResetAnswers();
            await CheckInForAsync(fleet, client, TimeSpan.FromMilliseconds(random.Next(3000, 6000)), random.Next(), cancellationToken);
            refused += fleet.Count("503");
            CheckWhileFull(round, full, fleet, failures);
            var free = await disk.FreeAsync(cancellationToken);
            var back = Stopwatch.StartNew();
            while (!await fleet.CheckInOnceAsync(client, cancellationToken) && back.Elapsed < TimeSpan.FromSeconds(30))
                await Task.Delay(250, cancellationToken);
            if (back.Elapsed >= TimeSpan.FromSeconds(30))
                failures.Add(Invariant($"round {round}: 30 s after the space came back ({free}) devices still got {fleet.AnswersText}"));
            resumed.Add(back.Elapsed.TotalSeconds);
        }

        using (var ready = await client.GetAsync("/readyz", cancellationToken))
        {
            if (!ready.IsSuccessStatusCode)
                failures.Add(Invariant($"/readyz answers {(int)ready.StatusCode} with the space back: {await ready.Content.ReadAsStringAsync(cancellationToken)}"));
        }

        var stopped = await disk.StopAsync(cancellationToken);
        if (!string.Equals(stopped.Trim(), "stopped 143", StringComparison.Ordinal) && !string.Equals(stopped.Trim(), "stopped 0", StringComparison.Ordinal))
            failures.Add("the appliance did not stop cleanly, or its database could not be copied out: " + stopped);
        failures.AddRange(SyncLedger.CheckAcknowledgedWrites(context.WorkDirectory, fleet.Devices));
        failures.AddRange(SyncLedger.CheckIntegrity(SyncLedger.EdgeDatabase(context.WorkDirectory)));
        return new DrillOutcome(
            [
                Invariant($"{devices} devices on a 32 MiB file system, {rounds} fill/free rounds: {refused} check-ins refused with 503 while full"),
                Invariant($"every device served again {string.Join(", ", resumed.Select(s => s.ToString("0.0", CultureInfo.InvariantCulture)))} s after the space came back (no restart)"),
            ],
            failures);
    }

    /// <summary>Full: only 503 (with its problem body and Retry-After) or 200 (a write that still fit); never a 500 or no answer.</summary>
    private static void CheckWhileFull(int round, string full, DrillFleet fleet, List<string> failures)
    {
        if (fleet.Count("503") == 0)
            failures.Add($"round {round}: no check-in got 503 with the disk full ({full}): {fleet.AnswersText}");
        if (fleet.Answers.Keys.Any(a => a is not ("503" or "200")))
            failures.Add($"round {round}: with the disk full devices got {fleet.AnswersText}: {fleet.Problems.FirstOrDefault(p => !p.StartsWith("503", StringComparison.Ordinal))}");
        var unclear = fleet.Problems.FirstOrDefault(p => p.StartsWith("503", StringComparison.Ordinal) && (!p.Contains("storage is full", StringComparison.Ordinal) || p.StartsWith("503  ", StringComparison.Ordinal)));
        if (unclear is not null)
            failures.Add($"round {round}: a 503 without a Retry-After or a problem body saying storage is full: {unclear}");
    }

    private static async Task CheckInForAsync(DrillFleet fleet, HttpClient client, TimeSpan stretch, int seed, CancellationToken cancellationToken)
    {
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ends.CancelAfter(stretch);
        await fleet.CheckInAsync(() => client, TimeSpan.FromSeconds(1), seed, ends.Token);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
