using EdgeMdm.Edge.Site;
using EdgeMdm.ServiceDefaults.Durability;

namespace EdgeMdm.Edge.Staging.Batches;

/// <summary>A batch made, its sheet's path, its codes, and a warning for the operator when the codes lack the agent download.</summary>
public sealed record MadeBatch(StagingBatch Batch, string SheetPath, IReadOnlyList<SlotCode> Codes, string? Warning);

/// <summary>
/// <c>staging batch create</c>: the sheet is written first, beside its final place (nothing holds the database while
/// QR codes render), then the batch, its token and its event commit in one unit, and only then does the sheet take its
/// place under <c>DATA/staging/batches/{id}</c>. A sheet that cannot be written leaves no batch; a batch that does not
/// commit leaves no sheet.
/// </summary>
public sealed class BatchMaker(IStagingBatches batches, EnrollmentCodes codes, ISiteIdentity site)
{
    public async Task<MadeBatch> MakeAsync(
        string dataDirectory, string group, string? plan, int count, DateTimeOffset expiresAt, IReadOnlyList<Uri> urls, string createdBy, DateTimeOffset now)
    {
        var created = batches.Prepare(group, plan, count, expiresAt, createdBy, now);
        var slots = codes.ForBatch(created, urls, site.Site()?.SiteId ?? ISiteIdentity.UnnamedSite);
        var directory = BatchSheet.DirectoryOf(dataDirectory, created.Batch.Id);
        var partial = directory + ".partial";
        try
        {
            BatchSheet.Write(partial, created.Batch, slots);
            await batches.CreateAsync(created, now);
        }
        catch
        {
            if (Directory.Exists(partial))
                Directory.Delete(partial, recursive: true);
            throw;
        }

        DurableFiles.MoveDirectory(partial, directory);
        var warning = codes.AgentPackage() is null
            ? $"warning: the site's catalog has no {codes.AgentPackageName} package, so the codes carry no agent download (publish it at the hub: edgemdm packages upload AGENT.apk --package-name {codes.AgentPackageName} ..., and name it in a blueprint so the site caches it)"
            : null;
        return new MadeBatch(created.Batch, Path.Combine(directory, BatchSheet.SheetFile), slots, warning);
    }
}
