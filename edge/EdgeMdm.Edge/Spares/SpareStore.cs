using SQLite;

namespace EdgeMdm.Edge.Spares;

/// <summary>The feature's SQL (tables <c>spare_pools</c>, <c>spare_members</c>, <c>swaps</c>), on a read or the writer's connection.</summary>
internal static class SpareStore
{
    public const string SwapSelect =
        "SELECT id AS Id, device_id AS DeviceId, device_serial AS DeviceSerial, model AS Model, reason AS Reason, wipe AS Wipe, " +
        "proposed_spare_id AS ProposedSpareId, proposed_serial AS ProposedSerial, spare_id AS SpareId, spare_serial AS SpareSerial, state AS State, " +
        "created_at AS CreatedAt, created_by AS CreatedBy, expires_at AS ExpiresAt, closed_at AS ClosedAt, closed_by AS ClosedBy FROM swaps";

    public static List<PoolRow> Pools(SQLiteConnection db) =>
        db.Query<PoolRow>("SELECT model AS Model, minimum AS Minimum FROM spare_pools ORDER BY model");

    public static PoolRow? Pool(SQLiteConnection db, string model) =>
        db.Query<PoolRow>("SELECT model AS Model, minimum AS Minimum FROM spare_pools WHERE model = ?", model).FirstOrDefault();

    public static List<MemberRow> Members(SQLiteConnection db) =>
        db.Query<MemberRow>("SELECT device_id AS DeviceId, model AS Model FROM spare_members ORDER BY model, device_id");

    public static string? PoolOf(SQLiteConnection db, string deviceId) =>
        db.Query<MemberRow>("SELECT device_id AS DeviceId, model AS Model FROM spare_members WHERE device_id = ?", deviceId).FirstOrDefault()?.Model;

    public static void SetPool(SQLiteConnection db, string model, int minimum, string actor, DateTimeOffset now) =>
        db.Execute(
            "INSERT INTO spare_pools (model, minimum, updated_at, updated_by) VALUES (?, ?, ?, ?) " +
            "ON CONFLICT (model) DO UPDATE SET minimum = excluded.minimum, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            model, minimum, now.ToUnixTimeMilliseconds(), actor);

    public static void AddMember(SQLiteConnection db, string deviceId, string model, string actor, DateTimeOffset now) =>
        db.Execute("INSERT INTO spare_members (device_id, model, added_at, added_by) VALUES (?, ?, ?, ?)", deviceId, model, now.ToUnixTimeMilliseconds(), actor);

    public static void RemoveMember(SQLiteConnection db, string deviceId) => db.Execute("DELETE FROM spare_members WHERE device_id = ?", deviceId);

    public static SwapRow? Swap(SQLiteConnection db, string swapId) => db.Query<SwapRow>(SwapSelect + " WHERE id = ?", swapId).FirstOrDefault();

    public static List<SwapRow> Swaps(SQLiteConnection db) => db.Query<SwapRow>(SwapSelect + " ORDER BY created_at DESC, id");

    public static List<SwapRow> OpenSwaps(SQLiteConnection db) => db.Query<SwapRow>(SwapSelect + " WHERE state = 'Proposed' ORDER BY created_at");

    public static void InsertSwap(SQLiteConnection db, SwapRow swap) =>
        db.Execute(
            "INSERT INTO swaps (id, device_id, device_serial, model, reason, wipe, proposed_spare_id, proposed_serial, state, created_at, created_by, expires_at) " +
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            swap.Id, swap.DeviceId, swap.DeviceSerial, swap.Model, swap.Reason, swap.Wipe, swap.ProposedSpareId, swap.ProposedSerial, swap.State,
            swap.CreatedAt, swap.CreatedBy, swap.ExpiresAt);

    /// <summary>Closes a proposed swap; false when it was not proposed any more.</summary>
    public static bool Close(SQLiteConnection db, string swapId, SwapState state, string? spareId, string? spareSerial, string actor, DateTimeOffset now) =>
        db.Execute(
            "UPDATE swaps SET state = ?, spare_id = ?, spare_serial = ?, closed_at = ?, closed_by = ? WHERE id = ? AND state = 'Proposed'",
            state.ToString(), spareId, spareSerial, now.ToUnixTimeMilliseconds(), actor, swapId) == 1;

    internal sealed class PoolRow
    {
        public string Model { get; set; } = "";

        public int Minimum { get; set; }
    }

    internal sealed class MemberRow
    {
        public string DeviceId { get; set; } = "";

        public string Model { get; set; } = "";
    }

    internal sealed class SwapRow
    {
        public string Id { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public string DeviceSerial { get; set; } = "";
        public string Model { get; set; } = "";
        public string Reason { get; set; } = "";
        public int Wipe { get; set; }
        public string ProposedSpareId { get; set; } = "";
        public string ProposedSerial { get; set; } = "";
        public string? SpareId { get; set; }
        public string? SpareSerial { get; set; }
        public string State { get; set; } = "";
        public long CreatedAt { get; set; }
        public string CreatedBy { get; set; } = "";
        public long ExpiresAt { get; set; }
        public long? ClosedAt { get; set; }
        public string? ClosedBy { get; set; }

        public SwapState SwapState => Enum.Parse<SwapState>(State);

        public SwapView ToView() => new(
            Id, DeviceId, DeviceSerial, Model, Reason, Wipe != 0, ProposedSpareId, ProposedSerial, SpareId, SpareSerial, SwapState,
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAt),
            ClosedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, ClosedBy);
    }
}
