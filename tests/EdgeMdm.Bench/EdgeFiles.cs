using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeMdm.Contracts.Sync;
using Google.Protobuf;
using SQLite;

namespace EdgeMdm.Bench;

/// <summary>
/// Read-only looks into the appliance's SQLite file (<c>DATA_DIR/edge.db</c>, WAL mode) while it runs: the
/// outbox depth, the highest sequence ever assigned, the feed cursor, and the outbox's content as bytes.
/// Nothing here writes to the file.
/// </summary>
internal static class EdgeFiles
{
    public static string Database(string dataDir) => Path.Combine(dataDir, "edge.db");

    public static long OutboxDepth(string dataDir) => Scalar(dataDir, "SELECT count(*) FROM outbox");

    /// <summary>Highest sequence the site ever assigned (the log has no holes below it).</summary>
    public static long ProducedThrough(string dataDir) =>
        Scalar(dataDir, "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)");

    public static long FeedPosition(string dataDir) => Scalar(dataDir, "SELECT feed_position FROM sync_state WHERE id = 1");

    /// <summary>A device's lifecycle state and its drift findings (JSON) as the appliance last stored them.</summary>
    public static (string State, string Findings) DeviceState(string dataDir, string deviceId)
    {
        using var db = Open(dataDir);
        var row = db.Query<StateRow>("SELECT state AS State, findings AS Findings FROM devices WHERE id = ?", deviceId).SingleOrDefault();
        return row is null ? ("(unknown device)", "[]") : (row.State, row.Findings);
    }

    /// <summary>Every change in the outbox now, measured three ways (see <see cref="OutboxContent"/>).</summary>
    public static OutboxContent ReadOutbox(string dataDir)
    {
        using var db = Open(dataDir);
        var kinds = new Dictionary<string, long>(StringComparer.Ordinal);
        long rows = 0, protobufBytes = 0, protoJsonBytes = 0, plainJsonBytes = 0;
        foreach (var row in db.DeferredQuery<OutboxRow>("SELECT sequence AS Sequence, kind AS Kind, payload AS Payload FROM outbox ORDER BY sequence"))
        {
            var change = SiteChange.Parser.ParseFrom(row.Payload);
            change.Sequence = (ulong)row.Sequence;
            if (change.ChangeCase == SiteChange.ChangeOneofCase.Status)
                change.Status = CurrentStatus(db, change.DeviceId);
            rows++;
            kinds[row.Kind] = kinds.GetValueOrDefault(row.Kind) + 1;
            protobufBytes += change.CalculateSize();
            var protoJson = JsonFormatter.Default.Format(change);
            protoJsonBytes += Encoding.UTF8.GetByteCount(protoJson);
            plainJsonBytes += Encoding.UTF8.GetByteCount(PlainJson(protoJson));
        }

        return new OutboxContent(rows, kinds, protobufBytes, protoJsonBytes, plainJsonBytes);
    }

    /// <summary>
    /// A status row is a marker: the appliance sends the device's stored status when it takes the batch
    /// (ADR 0001 §3), so the bench fills it in the same way to measure what goes on the wire.
    /// </summary>
    private static StatusReported CurrentStatus(SQLiteConnection db, string deviceId)
    {
        var device = db.Query<DeviceRow>(
            "SELECT status AS Status, compliant AS Compliant, findings AS Findings, coalesce(last_checkin_at, 0) AS LastCheckin, coalesce(reported_declarations_token, '') AS Token FROM devices WHERE id = ?",
            deviceId).Single();
        var reported = new StatusReported { StatusJson = device.Status, Compliant = device.Compliant != 0, LastCheckinUnixMs = device.LastCheckin, DeclarationsToken = device.Token };
        foreach (var finding in JsonNode.Parse(device.Findings)!.AsArray())
        {
            reported.Findings.Add(new DriftFinding
            {
                Item = finding!["item"]!.GetValue<string>(),
                Expected = finding["expected"]!.GetValue<string>(),
                Actual = finding["actual"]!.GetValue<string>(),
                Severity = finding["severity"]!.ToString(),
            });
        }

        return reported;
    }

    /// <summary>
    /// The protobuf JSON mapping of a change with its status embedded as a JSON object (as a REST API would
    /// send it) instead of a JSON string inside JSON, whose escaped quotes would inflate the baseline.
    /// </summary>
    private static string PlainJson(string protoJson)
    {
        var node = JsonNode.Parse(protoJson)!.AsObject();
        if (node["status"] is JsonObject status && status["statusJson"] is JsonValue text && text.TryGetValue<string>(out var json))
        {
            status.Remove("statusJson");
            status["status"] = JsonNode.Parse(json);
        }

        return node.ToJsonString(PlainJsonOptions);
    }

    private static readonly JsonSerializerOptions PlainJsonOptions = new() { WriteIndented = false };

    private static long Scalar(string dataDir, string sql)
    {
        using var db = Open(dataDir);
        return db.ExecuteScalar<long>(sql);
    }

    private static SQLiteConnection Open(string dataDir)
    {
        var db = new SQLiteConnection(new SQLiteConnectionString(Database(dataDir), SQLiteOpenFlags.ReadOnly | SQLiteOpenFlags.FullMutex, storeDateTimeAsTicks: true));
        db.BusyTimeout = TimeSpan.FromSeconds(10);
        return db;
    }

    private sealed class DeviceRow
    {
        public string Status { get; set; } = "{}";

        public long Compliant { get; set; }

        public string Findings { get; set; } = "[]";

        public long LastCheckin { get; set; }

        public string Token { get; set; } = "";
    }

    private sealed class StateRow
    {
        public string State { get; set; } = "";

        public string Findings { get; set; } = "[]";
    }

    private sealed class OutboxRow
    {
        public long Sequence { get; set; }

        public string Kind { get; set; } = "";

        public byte[] Payload { get; set; } = [];
    }
}

/// <summary>What the outbox held: rows by kind; the changes as protobuf (uncompressed, sequence included);
/// as the protobuf JSON mapping (<c>JsonFormatter.Default</c>: camelCase, defaults omitted, 64-bit integers as
/// strings, status as an escaped JSON string); and as plain JSON, the same with the status embedded as an
/// object. All in UTF-8 bytes, one document per change, no separators.</summary>
internal sealed record OutboxContent(long Rows, IReadOnlyDictionary<string, long> Kinds, long ProtobufBytes, long ProtoJsonBytes, long PlainJsonBytes);
