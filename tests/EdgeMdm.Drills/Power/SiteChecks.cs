using System.Text.Json;
using SQLite;

namespace EdgeMdm.Drills.Power;

/// <summary>
/// What must hold in the appliance's data directory after a cut, read from a copy of <c>edge.db</c> and its
/// <c>-wal</c> taken after the kill and before the restart (so SQLite recovers the WAL of the copy as the appliance
/// will its own, and the appliance's files stay as the cut left them). Every method returns the broken promises.
/// </summary>
internal static class SiteChecks
{
    /// <summary>Copies <c>edge.db</c> and <c>edge.db-wal</c> (not <c>-shm</c>, rebuilt from the WAL) into <paramref name="scratch"/>; the copy's path.</summary>
    public static string CopyDatabase(string dataDirectory, string scratch)
    {
        Directory.CreateDirectory(scratch);
        var copy = Path.Combine(scratch, "edge.db");
        foreach (var suffix in new[] { "-wal", "-shm", "" })
            File.Delete(copy + suffix);
        File.Copy(Path.Combine(dataDirectory, "edge.db"), copy);
        if (File.Exists(Path.Combine(dataDirectory, "edge.db-wal")))
            File.Copy(Path.Combine(dataDirectory, "edge.db-wal"), copy + "-wal");
        return copy;
    }

    /// <summary>
    /// Per device: the stored cycle count is the acknowledged one or the one in flight, and its battery samples (one
    /// per check-in that carried the battery, in commit order) count 1, 2, ... up to it, each value once or repeated by
    /// a re-send, none missing: an unbroken prefix of what the device sent.
    /// </summary>
    public static IEnumerable<string> Checkins(SQLiteConnection db, CheckinStorm storm)
    {
        var stored = db.Query<StoredDevice>("SELECT id AS Id, serial AS Serial, coalesce(json_extract(status, '$.battery.cycleCount'), 0) AS Cycles FROM devices")
            .ToDictionary(d => d.Serial, StringComparer.Ordinal);
        var samples = db.Query<StoredSample>("SELECT device_id AS DeviceId, coalesce(cycles, 0) AS Cycles FROM battery_samples ORDER BY rowid")
            .ToLookup(s => s.DeviceId, s => s.Cycles, StringComparer.Ordinal);
        for (var i = 0; i < storm.Count; i++)
        {
            var acknowledged = storm.Acknowledged(i);
            var serial = storm.Serial(i);
            if (!stored.TryGetValue(serial, out var device))
            {
                yield return $"{serial}: enrolled (201) but not stored";
                continue;
            }

            if (device.Cycles < acknowledged || device.Cycles > acknowledged + 1)
                yield return Invariant($"{serial}: stores cycle count {device.Cycles}, acknowledged {acknowledged} (the one in flight: {acknowledged + 1})");
            if (Gap(samples[device.Id], device.Cycles) is { } gap)
                yield return $"{serial}: battery samples {gap}";
        }
    }

    /// <summary>Where <paramref name="history"/> is not 1, 2, ... <paramref name="last"/> with repeats only; null when it is.</summary>
    private static string? Gap(IEnumerable<long> history, long last)
    {
        long previous = 0;
        foreach (var value in history)
        {
            if (value != previous && value != previous + 1)
                return Invariant($"jump from {previous} to {value}");
            previous = value;
        }

        return previous == last ? null : Invariant($"end at {previous}, the device's status at {last}");
    }

    /// <summary>Each promised batch is stored with its devices' count, and its sheet and payload are in place and whole.</summary>
    public static IEnumerable<string> Batches(SQLiteConnection db, string dataDirectory, IReadOnlyList<string> promised)
    {
        foreach (var id in promised)
        {
            if (db.ExecuteScalar<long>("SELECT count(*) FROM staging_batches WHERE id = ? AND device_count = ?", id, StagingOperator.DevicesPerBatch) != 1)
            {
                yield return $"batch {id}: created (exit 0) but not stored";
                continue;
            }

            var directory = Path.Combine(dataDirectory, "staging", "batches", id);
            var sheet = new FileInfo(Path.Combine(directory, "sheet.html"));
            if (!sheet.Exists || sheet.Length == 0)
                yield return $"batch {id}: its sheet {sheet.FullName} is {(sheet.Exists ? "empty" : "missing")}";
            if (PayloadProblem(Path.Combine(directory, "payload.json"), id) is { } problem)
                yield return $"batch {id}: payload.json {problem}";
        }
    }

    private static string? PayloadProblem(string path, string batchId)
    {
        try
        {
            using var payload = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = payload.RootElement;
            return string.Equals(root.GetProperty("batchId").GetString(), batchId, StringComparison.Ordinal)
                && root.GetProperty("slots").GetArrayLength() == StagingOperator.DevicesPerBatch
                ? null
                : "names another batch or slot count";
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "unreadable: " + e.Message;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class StoredDevice
    {
        public string Id { get; set; } = "";
        public string Serial { get; set; } = "";
        public long Cycles { get; set; }
    }

    private sealed class StoredSample
    {
        public string DeviceId { get; set; } = "";
        public long Cycles { get; set; }
    }
}
