using EdgeMdm.Edge.Site;

namespace EdgeMdm.Edge.Staging.Batches;

/// <summary>A batch made, its sheet's path, its codes, and a warning for the operator when the codes lack the agent download.</summary>
public sealed record MadeBatch(StagingBatch Batch, string SheetPath, IReadOnlyList<SlotCode> Codes, string? Warning);

/// <summary>
/// <c>staging batch create</c>: the batch, its token and its event in one unit, and its sheet written inside that unit,
/// so a sheet that cannot be written leaves no batch, and a batch that does not commit leaves no sheet.
/// </summary>
public sealed class BatchMaker(IStagingBatches batches, EnrollmentCodes codes, ISiteIdentity site)
{
    public async Task<MadeBatch> MakeAsync(
        string dataDirectory, string group, string? plan, int count, DateTimeOffset expiresAt, IReadOnlyList<Uri> urls, string createdBy, DateTimeOffset now)
    {
        string? directory = null;
        string? sheet = null;
        IReadOnlyList<SlotCode> slots = [];
        try
        {
            var created = await batches.CreateAsync(group, plan, count, expiresAt, createdBy, now, (unit, created) =>
            {
                slots = codes.ForBatch(created, urls, site.SiteIdIn(unit));
                directory = BatchSheet.DirectoryOf(dataDirectory, created.Batch.Id);
                sheet = BatchSheet.Write(directory, created.Batch, slots);
            });
            var warning = codes.AgentPackage() is null
                ? $"warning: the site's catalog has no {codes.AgentPackageName} package, so the codes carry no agent download (publish it at the hub: edgemdm packages upload AGENT.apk --package-name {codes.AgentPackageName} ..., and name it in a blueprint so the site caches it)"
                : null;
            return new MadeBatch(created.Batch, sheet!, slots, warning);
        }
        catch
        {
            if (directory is not null && Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
            throw;
        }
    }
}
