using System.Security.Cryptography;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Edge.Enrollment;
using EdgeMdm.Edge.SiteTls;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Staging.Batches;

/// <summary>A staging batch as the site holds it: <paramref name="Enrolled"/> of <paramref name="Count"/> devices enrolled with its token.</summary>
/// <param name="Plan">The staging plan's name; null: the group's own plan.</param>
public sealed record StagingBatch(
    string Id, string Group, string? Plan, int Count, int Enrolled, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string CreatedBy)
{
    public bool IsExpiredAt(DateTimeOffset now) => ExpiresAt <= now;

    public bool IsFinished => Enrolled >= Count;
}

/// <summary>A batch just made, with its clear enrollment token (shown on the sheet, never stored).</summary>
public sealed record CreatedBatch(StagingBatch Batch, string Token);

/// <summary>A device the batch enrolled, and the slot of the sheet whose code it scanned (null: it came with the token alone).</summary>
public sealed record BatchMember(string DeviceId, int? Slot, DateTimeOffset EnrolledAt);

/// <summary>
/// The staging batches of the site (tables <c>staging_batches</c>, <c>staging_batch_members</c>): what an operator makes
/// and reads, and which devices each one enrolled, so staging status can be shown per batch.
/// </summary>
public interface IStagingBatches
{
    /// <summary>A new batch's id and clear token, nothing stored yet: what its sheet is made from before <see cref="CreateAsync"/>.</summary>
    CreatedBatch Prepare(string group, string? plan, int count, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now);

    /// <summary>
    /// Stores a prepared batch in one writer unit: the batch, its enrollment token (its count of uses, expiring with the
    /// batch) and its <c>StagingBatchCreated</c> for the hub.
    /// </summary>
    Task CreateAsync(CreatedBatch prepared, DateTimeOffset now);

    IReadOnlyList<StagingBatch> List();

    StagingBatch? Find(string batchId);

    IReadOnlyList<BatchMember> MembersOf(string batchId);

    /// <summary>The batch that enrolled the device (last), or null.</summary>
    string? BatchOf(string deviceId);
}

/// <summary>A staging code an enrollment request carries, and the bytes its signature must cover (its fields and the request's token).</summary>
public sealed record StagingCode(EnrollmentCodeProof Proof, byte[] SignedText);

/// <summary>What the batch check lets through: the batch the token belongs to (null: a token of no batch).</summary>
public sealed record BatchAdmission(string? BatchId, Refusal? Refusal, string? Reason);

/// <summary>The batch's side of an enrollment, inside the enrollment's writer unit (<see cref="Enrollment.Enroller"/>).</summary>
public interface IBatchEnrollment
{
    /// <summary>
    /// Checks a code (made for this site, its signature verifies over the fields sent) and the token's batch (not
    /// expired, not finished) before anything is written; the refusal's reason is what the refusal is counted under.
    /// </summary>
    BatchAdmission Admit(UnitOfWork unit, string tokenHash, StagingCode? code, string siteId, DateTimeOffset now);

    /// <summary>Records the device as a member of the batch (moving it from any earlier one).</summary>
    void AddMember(UnitOfWork unit, string batchId, string deviceId, int? slot, DateTimeOffset now);
}

internal sealed class StagingBatchStore(EdgeStorage storage, ITokenStore tokens, SiteCertificates certificates) : IStagingBatches, IBatchEnrollment
{
    /// <summary>The refusals' reasons (the <c>reason</c> tag of <c>edgemdm.enrollments.refused</c>) and problem types.</summary>
    public static class Reasons
    {
        public const string BatchExpired = "batch_expired";
        public const string BatchFinished = "batch_finished";
        public const string CodeOtherSite = "code_other_site";
        public const string CodeTampered = "code_tampered";

        public static string TypeOf(string reason) => "urn:edgemdm:problem:enrollment:" + reason.Replace('_', '-');
    }

    public CreatedBatch Prepare(string group, string? plan, int count, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var id = "b-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
        var clear = "et_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        return new CreatedBatch(new StagingBatch(id, group, plan, count, 0, Trim(now), Trim(expiresAt), createdBy), clear);
    }

    public async Task CreateAsync(CreatedBatch prepared, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        var (id, group, plan, count, _, _, expiresAt, createdBy) = prepared.Batch;
        var clear = prepared.Token;
        await storage.WriteAsync(unit =>
        {
            tokens.Import(unit, clear, group, count, expiresAt, createdBy, now);
            unit.Db.Execute(
                """
                INSERT INTO staging_batches (id, group_name, plan_name, device_count, token_hash, created_at, expires_at, created_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                id, group, plan, count, CanonicalHash.Sha256Hex(clear), now.ToUnixTimeMilliseconds(), expiresAt.ToUnixTimeMilliseconds(), createdBy);
            Outbox.Append(unit, new SiteChange
            {
                AtUnixMs = now.ToUnixTimeMilliseconds(),
                DeviceId = "",
                StagingBatchCreated = new StagingBatchCreated
                {
                    BatchId = id, Group = group, Plan = plan ?? "", Count = (uint)count, ExpiresUnixMs = expiresAt.ToUnixTimeMilliseconds(),
                },
            });
            return 0;
        });
    }

    public IReadOnlyList<StagingBatch> List() =>
        storage.Read(db => db.Query<BatchRow>(BatchRow.Select + " ORDER BY b.created_at, b.id")).Select(r => r.ToBatch()).ToList();

    public StagingBatch? Find(string batchId) =>
        storage.Read(db => db.Query<BatchRow>(BatchRow.Select + " WHERE b.id = ?", batchId)).FirstOrDefault()?.ToBatch();

    public IReadOnlyList<BatchMember> MembersOf(string batchId) =>
        storage.Read(db => db.Query<MemberRow>(
                "SELECT device_id AS DeviceId, slot AS Slot, enrolled_at AS EnrolledAt FROM staging_batch_members WHERE batch_id = ? ORDER BY enrolled_at, device_id", batchId))
            .Select(m => new BatchMember(m.DeviceId, m.Slot, DateTimeOffset.FromUnixTimeMilliseconds(m.EnrolledAt)))
            .ToList();

    public string? BatchOf(string deviceId) =>
        storage.Read(db => db.Query<MemberRow>("SELECT batch_id AS BatchId FROM staging_batch_members WHERE device_id = ?", deviceId)).FirstOrDefault()?.BatchId;

    public BatchAdmission Admit(UnitOfWork unit, string tokenHash, StagingCode? code, string siteId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(unit);
        if (code is { Proof: var proof })
        {
            // The site first: a code for another site is a mix-up at the cart, not an attack, and says so.
            if (!string.Equals(proof.SiteId, siteId, StringComparison.Ordinal))
            {
                return Refused(Reasons.CodeOtherSite, "Code made for another site",
                    $"code made for site {proof.SiteId}, this appliance is site {siteId}");
            }

            if (!SignatureHolds(proof.Signature, code.SignedText))
            {
                return Refused(Reasons.CodeTampered, "Code does not verify",
                    $"the signature of the code for batch {proof.BatchId} slot {proof.Slot} does not verify over the fields sent: the code was changed after this appliance made it");
            }
        }

        var batch = unit.Db.Query<BatchRow>(BatchRow.Select + " WHERE b.token_hash = ?", tokenHash).FirstOrDefault()?.ToBatch();
        if (batch is null)
        {
            // A code this site signed always names its token's batch: one whose batch is gone has nothing to join.
            return code is null
                ? new BatchAdmission(null, null, null)
                : Refused(Reasons.CodeTampered, "Code does not verify", $"the code names batch {code.Proof.BatchId}, which this site does not hold for that token");
        }

        if (code is not null && !string.Equals(code.Proof.BatchId, batch.Id, StringComparison.Ordinal))
            return Refused(Reasons.CodeTampered, "Code does not verify", $"the code names batch {code.Proof.BatchId}, but its token is batch {batch.Id}'s");
        if (batch.IsExpiredAt(now))
            return Refused(Reasons.BatchExpired, "Staging batch expired", $"batch {batch.Id} expired at {batch.ExpiresAt:O}; make a new batch");
        if (batch.IsFinished)
            return Refused(Reasons.BatchFinished, "Staging batch finished", $"batch {batch.Id} is finished: {batch.Enrolled} of {batch.Count} enrolled");
        return new BatchAdmission(batch.Id, null, null);
    }

    public void AddMember(UnitOfWork unit, string batchId, string deviceId, int? slot, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(unit);
        unit.Db.Execute(
            """
            INSERT INTO staging_batch_members (device_id, batch_id, slot, enrolled_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (device_id) DO UPDATE SET batch_id = excluded.batch_id, slot = excluded.slot, enrolled_at = excluded.enrolled_at
            """,
            deviceId, batchId, slot, now.ToUnixTimeMilliseconds());
    }

    private bool SignatureHolds(string signature, byte[] signedText)
    {
        byte[] bytes;
        try
        {
            bytes = System.Buffers.Text.Base64Url.DecodeFromChars(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return certificates.SignedByAuthority(signedText, bytes);
    }

    private static BatchAdmission Refused(string reason, string title, string detail) =>
        new(null, new Refusal(RefusalKind.Forbidden, title, detail) { Type = Reasons.TypeOf(reason) }, reason);

    private static DateTimeOffset Trim(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());

    private sealed class BatchRow
    {
        public const string Select =
            """
            SELECT b.id AS Id, b.group_name AS GroupName, b.plan_name AS PlanName, b.device_count AS DeviceCount, b.created_at AS CreatedAt,
                b.expires_at AS ExpiresAt, b.created_by AS CreatedBy, (SELECT count(*) FROM staging_batch_members m WHERE m.batch_id = b.id) AS Enrolled
            FROM staging_batches b
            """;

        public string Id { get; set; } = "";
        public string GroupName { get; set; } = "";
        public string? PlanName { get; set; }
        public int DeviceCount { get; set; }
        public long CreatedAt { get; set; }
        public long ExpiresAt { get; set; }
        public string CreatedBy { get; set; } = "";
        public int Enrolled { get; set; }

        public StagingBatch ToBatch() => new(
            Id, GroupName, PlanName, DeviceCount, Enrolled, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAt), CreatedBy);
    }

    private sealed class MemberRow
    {
        public string DeviceId { get; set; } = "";
        public string BatchId { get; set; } = "";
        public int? Slot { get; set; }
        public long EnrolledAt { get; set; }
    }
}
