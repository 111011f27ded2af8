using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Domain.Floor;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Batteries;

/// <summary>JSON of the floor's reports: stored (<c>shift_reports.report</c>) and served (<c>/api/v1/readiness</c> and the like).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReadinessFigure))]
[JsonSerializable(typeof(MissingReport))]
[JsonSerializable(typeof(MissingView))]
[JsonSerializable(typeof(BatteriesReport))]
[JsonSerializable(typeof(RecordedShifts))]
internal sealed partial class FloorJson : JsonSerializerContext;

/// <summary>
/// The reports recorded around shifts (table <c>shift_reports</c>), one per kind and shift occurrence: a second
/// recording of the same one (the clock went back over a boundary already handled) is ignored.
/// </summary>
internal sealed class ShiftReportStore(EdgeStorage storage)
{
    public const string ReadinessKind = "readiness";
    public const string MissingKind = "missing";

    public bool Has(string kind, ShiftOccurrence shift) =>
        storage.Read(db => db.ExecuteScalar<int>("SELECT COUNT(*) FROM shift_reports WHERE kind = ? AND shift_id = ?", kind, shift.Id)) > 0;

    /// <summary>Records the report unless one is recorded for this kind and shift; true when this one was.</summary>
    public static bool Record(UnitOfWork unit, string kind, ShiftOccurrence shift, DateTimeOffset computedAt, string json) =>
        unit.Db.Execute(
            "INSERT OR IGNORE INTO shift_reports (kind, shift_id, shift_start, shift_end, computed_at, report) VALUES (?, ?, ?, ?, ?, ?)",
            kind, shift.Id, shift.Start.ToUnixTimeMilliseconds(), shift.End.ToUnixTimeMilliseconds(), computedAt.ToUnixTimeMilliseconds(), json) > 0;

    public ReadinessFigure? Readiness(ShiftOccurrence shift) =>
        Report(ReadinessKind, shift) is { } json ? JsonSerializer.Deserialize(json, FloorJson.Default.ReadinessFigure) : null;

    /// <summary>The readiness recorded before the last <paramref name="count"/> shifts, oldest first.</summary>
    public IReadOnlyList<ReadinessFigure> RecentReadiness(int count) =>
        storage.Read(db => db.QueryScalars<string>(
                "SELECT report FROM shift_reports WHERE kind = ? ORDER BY shift_start DESC LIMIT ?", ReadinessKind, count))
            .Select(json => JsonSerializer.Deserialize(json, FloorJson.Default.ReadinessFigure))
            .OfType<ReadinessFigure>()
            .Reverse()
            .ToList();

    public MissingReport? Missing(ShiftOccurrence shift) =>
        Report(MissingKind, shift) is { } json ? JsonSerializer.Deserialize(json, FloorJson.Default.MissingReport) : null;

    /// <summary>Deletes reports of shifts that ended before <paramref name="before"/>.</summary>
    public Task<int> PruneAsync(DateTimeOffset before) =>
        storage.WriteAsync(unit => unit.Db.Execute("DELETE FROM shift_reports WHERE shift_end < ?", before.ToUnixTimeMilliseconds()));

    private string? Report(string kind, ShiftOccurrence shift) =>
        storage.Read(db => db.ExecuteScalar<string?>("SELECT report FROM shift_reports WHERE kind = ? AND shift_id = ?", kind, shift.Id));
}
